using Ffn.Model.Synthetic;

namespace Ffn.Tests.Model.Synthetic;

/// <summary>Our CPU-independent elementary functions against the C library's, within a few ulps.</summary>
public class StableMathTests
{
    private static void Near(double expected, double actual, string what)
    {
        double ulp = Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= 4 * ulp + 1e-300, $"{what}: {actual:R}, libm {expected:R}");
    }

    [Fact]
    public void Exp_log_sin_cos_agree_with_libm()
    {
        var rnd = new Random(3);
        for (int i = 0; i < 20000; i++)
        {
            double x = rnd.NextDouble() * 80 - 60;
            Near(Math.Exp(x), StableMath.Exp(x), $"exp({x:R})");
            double p = Math.Exp(rnd.NextDouble() * 60 - 50);
            Near(Math.Log(p), StableMath.Log(p), $"log({p:R})");
            double a = rnd.NextDouble() * 2 * Math.PI;
            // sin and cos are judged on the scale 1: near their zeros a relative ulp is meaningless.
            Assert.True(Math.Abs(Math.Sin(a) - StableMath.Sin(a)) < 1e-15, $"sin({a:R})");
            Assert.True(Math.Abs(Math.Cos(a) - StableMath.Cos(a)) < 1e-15, $"cos({a:R})");
        }
        Assert.Equal(1.0, StableMath.Exp(0));
        Assert.Equal(0.0, StableMath.Log(1));
        Assert.Equal(double.NegativeInfinity, StableMath.Log(0));
        Assert.True(double.IsNaN(StableMath.Log(-1)));
    }
}
