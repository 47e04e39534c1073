using Ffn.Model.Geometry;
using Ffn.Model.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Network;

/// <summary>Tests that measure the whole process's memory run alone: other tests' allocations would be counted too.</summary>
[CollectionDefinition(nameof(ProcessWideMemory), DisableParallelization = true)]
public sealed class ProcessWideMemory;

[Collection(nameof(ProcessWideMemory))]
[Trait("Category", "Numerics")]
public class PredictorMemoryTests
{
    /// <summary>Where the leak test runs: FFN_TEST_DEVICE (e.g. cuda:0 on a GPU machine), else the CPU.</summary>
    private static string TestDevice => Environment.GetEnvironmentVariable("FFN_TEST_DEVICE") is { Length: > 0 } d ? d : "cpu";

    [Fact]
    public void AThousandFovStepsLeakNoTensorsAndNoDeviceMemory()
    {
        var device = TorchRuntime.ParseDevice(TestDevice);
        ForwardMemoryProbe? p = null;
        // Its own thread: TorchSharp's live-tensor statistics are per thread.
        var t = new Thread(() =>
        {
            using var net = new Predictor(new ConvStack3D(new ModelConfig { Depth = 3, Features = 8, FovSize = new Vec3i(17, 17, 17) }), device);
            p = ForwardMemoryProbe.Run(net, steps: 1000);
        });
        t.Start();
        t.Join();
        Assert.Equal(p!.LiveTensorsWarm, p.LiveTensorsEnd);
        // The tensor count catches any tensor a step leaves behind; the memory bound catches native growth beyond noise
        // (a CPU process's working set moves by tens of MiB; a GPU's caching allocator has no reason to grow at all).
        long limit = device.type == DeviceType.CUDA ? 16L << 20 : 64L << 20;
        Assert.True(p.Growth < limit, $"memory in use on {TestDevice} grew by {p.Growth >> 20} MiB over {p.Steps} FoV steps");
    }
}
