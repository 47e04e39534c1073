using System.Diagnostics;
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
    [Fact]
    public void FiveHundredForwardsLeakNoTensorsAndNoMemory()
    {
        // Runs on its own thread: TorchSharp's live-tensor statistics are per thread.
        long liveBefore = 0, liveAfter = 0, rssWarm = 0, rssEnd = 0;
        var t = new Thread(() =>
        {
            var model = new ConvStack3D(new ModelConfig { Depth = 3, Features = 8, FovSize = new Vec3i(17, 17, 17) });
            using var p = new Predictor(model, CPU);
            var x = new float[2 * 17 * 17 * 17];
            long[] shape = [1, 2, 17, 17, 17];
            for (int i = 0; i < 20; i++) p.Forward(x, shape);
            GC.Collect();
            rssWarm = Process.GetCurrentProcess().WorkingSet64;
            liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int i = 0; i < 500; i++) p.Forward(x, shape);
            liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            GC.Collect();
            rssEnd = Process.GetCurrentProcess().WorkingSet64;
        });
        t.Start();
        t.Join();
        Assert.Equal(liveBefore, liveAfter);
        Assert.True(rssEnd - rssWarm < 64L << 20, $"working set grew by {(rssEnd - rssWarm) >> 20} MiB over 500 forwards");
    }
}
