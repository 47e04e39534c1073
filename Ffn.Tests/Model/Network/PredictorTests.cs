using System.Diagnostics;
using Ffn.Model;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Network;

[Trait("Category", "Numerics")]
public class PredictorTests
{
    [Fact]
    public void RejectsInputsOfTheWrongShape()
    {
        using var p = new Predictor(new ConvStack3D(new ModelConfig { Depth = 2, Features = 4 }), CPU);
        Assert.Throws<InputException>(() => p.Forward(new float[3 * 5 * 5 * 5], [1, 3, 5, 5, 5]));
        Assert.Throws<InputException>(() => p.Forward(new float[2 * 25], [2, 5, 5]));
    }

    [Fact]
    public void DeviceParsingAcceptsCpuAndExplainsMissingCuda()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.ParseDevice("cpu").type);
        Assert.Equal(cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, TorchRuntime.ParseDevice("auto").type);
        Assert.Throws<InputException>(() => TorchRuntime.ParseDevice("tpu"));
        if (!cuda.is_available())
            Assert.Contains("CUDA is not available", Assert.Throws<InputException>(() => TorchRuntime.ParseDevice("cuda:0")).Message);
    }

    [Fact]
    public void FlopCountMatchesTheFib25Network()
    {
        // 23 convs 32->32 3x3x3 and one 2->32 on 33^3 voxels, 2 FLOPs per multiply-add (+ bias): ~45.8 GFLOP.
        var c = new ModelConfig();
        double expected = 35937.0 * 32 * (2 * 2 * 27 + 1) + 23 * 35937.0 * 32 * (2 * 32 * 27 + 1) + 35937.0 * (2 * 32 + 1);
        Assert.Equal(expected, ConvStack3D.FlopsPerFov(c));
        Assert.InRange(ConvStack3D.FlopsPerFov(c) / 1e9, 45, 47);
        using var m = new ConvStack3D(c);
        Assert.Equal(2 * 32 * 27 + 32 + 23 * (32 * 32 * 27 + 32) + 33, m.ParameterCount);
    }
}
