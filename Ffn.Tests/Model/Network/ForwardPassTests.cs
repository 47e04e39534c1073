using Ffn.Model.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Network;

/// <summary>
/// The forward settings change how a forward runs, not what it computes: CPU batch slices and channels-last give the
/// per-FoV float32 result; bf16 gives it to within bfloat16 rounding, against a float64 forward of the same network.
/// </summary>
[Trait("Category", "Numerics")]
public class ForwardPassTests
{
    private static readonly ModelConfig Small = new() { Depth = 3, Features = 8, FovSize = new(9, 11, 13) };

    private static float[] Input(int batch, int seed)
    {
        var rnd = new Random(seed);
        return [.. Enumerable.Range(0, batch * 2 * 9 * 11 * 13).Select(_ => (float)(rnd.NextDouble() * 2 - 1))];
    }

    private static long[] Shape(int batch) => [batch, 2, 9, 11, 13];

    /// <summary>Copies of one network's weights (a cast to bf16 changes a module in place).</summary>
    private static ConvStack3D Copy(ConvStack3D source)
    {
        var m = new ConvStack3D(source.Config);
        using var _ = no_grad();
        foreach (var ((_, to), (_, from)) in m.named_parameters().Zip(source.named_parameters())) to.copy_(from);
        return m;
    }

    [Fact]
    public void Slices_and_channels_last_compute_each_fov_as_alone()
    {
        using var net = new ConvStack3D(Small);
        const int batch = 3;
        var x = Input(batch, 1);
        int n = 2 * 9 * 11 * 13, m = 9 * 11 * 13;
        var alone = new float[batch * m];
        using (var p = new Predictor(Copy(net), CPU, new ForwardSettings { ChannelsLast = false }))
            for (int k = 0; k < batch; k++)
                p.Forward(x[(k * n)..((k + 1) * n)], Shape(1)).CopyTo(alone, k * m);
        foreach (var s in new[] { new ForwardSettings { ChannelsLast = false }, new ForwardSettings { ChannelsLast = false, CpuBatchSlice = 1 },
                     new ForwardSettings(), new ForwardSettings { CpuBatchSlice = 2 } })
        {
            using var p = new Predictor(Copy(net), CPU, s);
            var y = p.Forward(x, Shape(batch));
            Assert.Equal(alone.Length, y.Length);
            double scale = alone.Max(MathF.Abs), worst = alone.Zip(y, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-5 * scale, $"{s}: off by {worst} (scale {scale})");
        }
    }

    [Fact]
    public void Bf16_forward_is_float32_out_and_within_bf16_rounding_of_float64()
    {
        using var net = new ConvStack3D(Small);
        var x = Input(2, 2);
        float[] reference;
        using (var f64 = Copy(net))
        {
            f64.to(ScalarType.Float64);
            f64.eval();
            using var _ = no_grad();
            using var y = f64.forward(tensor(x, Shape(2)).to(ScalarType.Float64));
            reference = [.. y.data<double>().ToArray().Select(v => (float)v)];
        }
        float[] fp32, bf16;
        using (var p = new Predictor(Copy(net), CPU, new ForwardSettings { ChannelsLast = false })) fp32 = p.Forward(x, Shape(2));
        using (var p = new Predictor(Copy(net), CPU, new ForwardSettings { Precision = Precision.Bf16, ChannelsLast = true, CpuBatchSlice = 1 }))
            bf16 = p.Forward(x, Shape(2));
        double scale = reference.Max(MathF.Abs);
        double bfErr = reference.Zip(bf16, (a, b) => Math.Abs(a - b)).Max(), fpErr = reference.Zip(fp32, (a, b) => Math.Abs(a - b)).Max();
        // Four layers, each rounding activations and weights to 8 significant bits (2^-8 relative): a few percent at most.
        Assert.True(bfErr <= 0.03 * scale, $"bf16 off by {bfErr} (scale {scale})");
        Assert.True(fpErr <= 1e-5 * scale, $"fp32 off by {fpErr} (scale {scale})");
        Assert.True(bfErr > 10 * fpErr, $"bf16 ({bfErr}) no less exact than fp32 ({fpErr}): did it run in bf16?");
    }
}
