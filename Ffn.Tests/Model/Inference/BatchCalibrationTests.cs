using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using static TorchSharp.torch;
using P = Ffn.Model.Inference.BatchCalibration.Point;

namespace Ffn.Tests.Model.Inference;

public class BatchCalibrationTests
{
    [Fact]
    public void A_larger_batch_is_chosen_only_when_it_is_clearly_cheaper_per_fov()
    {
        // A GPU-like curve: cost per FoV falls until the device is full, then flattens.
        Assert.Equal(16, BatchCalibration.Choose([new P(1, 100), new P(2, 55), new P(4, 30), new P(8, 18), new P(16, 12), new P(32, 11.5)]));
        // A CPU-like curve (batching costs more per FoV): stay at 1.
        Assert.Equal(1, BatchCalibration.Choose([new P(1, 250), new P(2, 300), new P(4, 480)]));
        // 5 % cheaper is within noise: not worth leaving google/ffn's order for.
        Assert.Equal(1, BatchCalibration.Choose([new P(1, 100), new P(2, 95), new P(4, 96)]));
        // The gain is measured against the current choice, not against batch 1.
        Assert.Equal(2, BatchCalibration.Choose([new P(1, 100), new P(2, 80), new P(4, 75)]));
        Assert.Equal(1, BatchCalibration.Choose([]));
    }

    [Fact]
    public void Calibration_times_ascending_batches_on_the_device_and_picks_one_of_them()
    {
        manual_seed(1);
        var cfg = new ModelConfig { Depth = 1, Features = 4, FovSize = new Vec3i(9, 9, 9) };
        using var net = new Predictor(new ConvStack3D(cfg), CPU);
        var c = BatchCalibration.Run(net, maxBatch: 8, repeats: 1);
        var batches = c.Measured.Select(p => p.Batch).ToArray();
        Assert.Equal(1, batches[0]);
        Assert.Equal(batches.Order().ToArray(), batches);
        Assert.All(batches, b => Assert.True(b <= 8 && (b & (b - 1)) == 0));
        Assert.All(c.Measured, p => Assert.True(p.MsPerFov > 0 && double.IsFinite(p.MsPerFov)));
        Assert.Contains(c.Chosen, batches);
        Assert.Equal(BatchCalibration.Choose(c.Measured), c.Chosen);
    }
}
