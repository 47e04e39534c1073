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

    [Fact]
    public void BatchedCanvasesAreDeterministicAndBatchTheirSteps()
    {
        // Two runs of 3 concurrent objects with Google's weights and PolicyPeaks seeds, each stopped after the same number of
        // network evaluations: identical FoV traces, and rounds really evaluated several FoVs per call.
        // A 64x250x250 slab of FIB-25: room for objects far enough apart to grow together.
        using var reader = Ffn.Model.Volumes.Hdf5.Hdf5VolumeReader.Open(Support.TestData.SharedFile("data", "fib25", "training_sample1.h5"), "raw");
        var raw = reader.Read(new Box3(new Vec3i(90, 0, 0), new Vec3i(64, 250, 250))).As<byte>();
        var image = new Ffn.Model.Volumes.Volume<float>(raw.Shape);
        for (int i = 0; i < raw.Data.Length; i++) image.Data[i] = (raw.Data[i] - 128f) / 33f;
        var seeds = Ffn.Model.Inference.SeedPolicies.SeedPolicyRegistry.Create("PolicyPeaks", image, new Vec3i(16, 16, 16), (1, 1, 1)).Candidates;
        var traces = new List<List<FovStep>>();
        long calls = 0;
        for (int run = 0; run < 2; run++)
        {
            using var inner = new NetworkFovPredictor(ModelCheckpoint.Load(CheckpointImportTests.GoogleCkpt), CPU);
            var counting = new CallCounter(inner);
            var canvas = new Canvas(image, counting, new Vec3i(8, 8, 8), new InferenceOptions(), keepTrace: true, batchCanvases: 3);
            using var cts = new CancellationTokenSource();
            canvas.AfterStep = c => { if (c.Counters[Counters.NetworkEvaluations] >= 45) cts.Cancel(); };
            Assert.ThrowsAny<OperationCanceledException>(() => canvas.SegmentAll(new Ffn.Model.Inference.SeedPolicies.ListSeedPolicy(seeds), cts.Token));
            traces.Add(canvas.Trace!);
            calls = counting.Calls;
        }
        Assert.Equal(traces[0], traces[1]);
        Assert.True(traces[0].Count >= 45);
        Assert.True(calls < traces[0].Count, $"{calls} network calls for {traces[0].Count} FoV steps: nothing was batched");
        Assert.True(traces[0].Select(t => t.Attempt).Distinct().Count() >= 2);
    }

    private sealed class CallCounter(IFovPredictor inner) : IFovPredictor
    {
        public long Calls { get; private set; }
        public Vec3i FovSize => inner.FovSize;

        public void Predict(ReadOnlySpan<float> image, ReadOnlySpan<float> seed, Span<float> logits)
        {
            Calls++;
            inner.Predict(image, seed, logits);
        }

        public void PredictBatch(float[][] images, float[][] seeds, float[][] logits)
        {
            Calls++;
            inner.PredictBatch(images, seeds, logits);
        }
    }
}
