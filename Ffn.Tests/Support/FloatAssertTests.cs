using Xunit.Sdk;

namespace Ffn.Tests.Support;

public class FloatAssertTests
{
    [Fact]
    public void UlpsCountRepresentableValuesAcrossZero()
    {
        Assert.Equal(0, FloatAssert.Ulps(0.0, -0.0));
        Assert.Equal(1, FloatAssert.Ulps(1.0, Math.BitIncrement(1.0)));
        Assert.Equal(2, FloatAssert.Ulps(-double.Epsilon, double.Epsilon));
        Assert.Equal(2, FloatAssert.Ulps(1f, MathF.BitIncrement(MathF.BitIncrement(1f))));
        Assert.Equal(2, FloatAssert.Ulps(-float.Epsilon, float.Epsilon));
    }

    [Fact]
    public void CloseAcceptsLastBitsAndNamesTheFirstRealDifference()
    {
        double[] expected = [0.0044318616200312664, 1.0, -3.0, double.NaN];
        double[] near = [0.0044318616200312655, Math.BitIncrement(1.0), -3.0, double.NaN];
        var s = FloatAssert.Close(expected, near, rel: 1e-12);
        Assert.Equal(2, s.Unequal);

        double[] wrong = [0.0044318616200312664, 1.0 + 1e-9, -3.0, 0.5];
        var e = Assert.Throws<FailException>(() => FloatAssert.Close(expected, wrong, rel: 1e-12, what: "kernel"));
        Assert.Contains("kernel: 2 of 4", e.Message);
        Assert.Contains("index 1: expected 1, actual 1.000000001", e.Message);
    }

    [Fact]
    public void IdenticalRejectsOneUlpAndTheSignOfZero()
    {
        float[] expected = [1f, 0f];
        FloatAssert.Identical(expected, [1f, 0f]);
        Assert.Contains("index 0", Assert.Throws<FailException>(() => FloatAssert.Identical(expected, [MathF.BitIncrement(1f), 0f])).Message);
        Assert.Contains("index 1", Assert.Throws<FailException>(() => FloatAssert.Identical(expected, [1f, -0f])).Message);
    }
}
