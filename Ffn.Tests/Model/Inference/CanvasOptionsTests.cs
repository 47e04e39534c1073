using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using Ffn.Tests.Model.Checkpoints;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Inference;

public class CanvasOptionsTests
{
    // Google's FIB-25 weights run fully convolutionally on a 17^3 FoV: a cheap but real network.
    private static NetworkFovPredictor SmallFov() => new(ModelCheckpoint.Load(CheckpointImportTests.GoogleCkpt,
        new ModelConfig { FovSize = new Vec3i(17, 17, 17), Deltas = new Vec3i(4, 4, 4) }), CPU);

    [Fact]
    public void SelfConsistencyReevaluatesUntilStableAndIsOffByDefault()
    {
        using var predictor = SmallFov();
        var image = CanvasGoogleVectorTests.NormalizedInput();
        var seed = new Vec3i(32, 48, 48);

        var plain = new Canvas(image, predictor, new Vec3i(4, 4, 4), new InferenceOptions(), keepTrace: true);
        int steps = plain.SegmentAt(seed);
        Assert.Equal(steps, plain.Counters[Counters.NetworkEvaluations]);
        Assert.Equal(0, plain.Counters[Counters.SelfConsistentReruns]);

        var consistent = new Canvas(image, predictor, new Vec3i(4, 4, 4),
            new InferenceOptions { DiffThreshold = 1e-4, MaxSelfConsistentIters = 3 }, keepTrace: true);
        int steps2 = consistent.SegmentAt(seed);
        long evals = consistent.Counters[Counters.NetworkEvaluations];
        long reruns = consistent.Counters[Counters.SelfConsistentReruns];
        // Each FoV step evaluates once plus its re-runs, never more than MaxSelfConsistentIters times.
        Assert.True(reruns > 0);
        Assert.Equal(steps2 + reruns, evals);
        Assert.True(evals <= 3L * steps2);
    }
}
