using Ffn.Model.Geometry;
using Ffn.Model.Network;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Network;

public class ConvStackInitTests
{
    private static float[][] Weights(ConvStack3D m) => [.. m.parameters().Select(p => p.data<float>().ToArray())];

    [Fact]
    public void A_seeded_network_is_the_same_whatever_other_threads_draw_and_is_xavier_uniform()
    {
        var cfg = new ModelConfig { Depth = 2, Features = 8, FovSize = new Vec3i(9, 9, 9) };
        using var a = new ConvStack3D(cfg, initSeed: 7);
        // Another draw from libtorch's global generator between the two, as a test on another thread would do.
        using (var noise = rand(1000)) { }
        using var b = new ConvStack3D(cfg, initSeed: 7);
        using var c = new ConvStack3D(cfg, initSeed: 8);
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(c));

        foreach (var (name, p) in a.named_parameters())
        {
            var v = p.data<float>().ToArray();
            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Assert.All(v, x => Assert.Equal(0f, x));
                continue;
            }
            long receptive = p.shape.Skip(2).Aggregate(1L, (x, y) => x * y);
            double bound = Math.Sqrt(6.0 / ((p.shape[0] + p.shape[1]) * receptive));
            Assert.All(v, x => Assert.InRange(Math.Abs(x), 0, bound));
            if (v.Length < 1000) continue;
            // U(-a, a) has variance a^2 / 3: within 10 % for a thousand draws or more.
            double mean = v.Average(x => (double)x), variance = v.Average(x => (x - mean) * (x - mean));
            Assert.InRange(variance / (bound * bound / 3), 0.9, 1.1);
        }
    }
}
