using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Inference;

/// <summary>
/// Our Canvas with Google's FIB-25 weights reproduces google/ffn's own run on the test-vector crop: given the same
/// candidate seeds, the same attempts, FoV trace and segmentation.
/// </summary>
public class CanvasGoogleVectorTests(ITestOutputHelper output)
{
    public static Volume<float> NormalizedInput()
    {
        using var r = Hdf5VolumeReader.Open(TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5"), "raw");
        var raw = r.Read(r.Info.Box).As<byte>();
        var img = new Volume<float>(raw.Shape);
        for (int i = 0; i < raw.Data.Length; i++) img.Data[i] = (raw.Data[i] - 128f) / 33f;
        return img;
    }

    [Fact]
    public void ReproducesGoogleCanvasFromItsSeedList()
    {
        var expected = GoogleInferenceVector.Instance;
        var model = ModelCheckpoint.Load(CheckpointImportTests_GoogleCkpt());
        using var predictor = new NetworkFovPredictor(model, CPU);
        var canvas = new Canvas(NormalizedInput(), predictor, model.Config.Deltas, new InferenceOptions(), keepTrace: true);
        canvas.SegmentAll(new ListSeedPolicy(expected.SeedCoords));

        // First divergence in the FoV trace, if any, locates a difference.
        int traceRows = expected.FovTrace.Length / 4;
        int firstDiff = -1;
        for (int i = 0; i < Math.Min(traceRows, canvas.Trace!.Count); i++)
        {
            var t = canvas.Trace[i];
            if (t.Attempt != expected.FovTrace[4 * i] || t.Center != new Vec3i((int)expected.FovTrace[4 * i + 1], (int)expected.FovTrace[4 * i + 2], (int)expected.FovTrace[4 * i + 3]))
            {
                firstDiff = i;
                break;
            }
        }
        output.WriteLine($"trace: ours {canvas.Trace.Count} rows, Google {traceRows}; first difference at {firstDiff}");
        output.WriteLine(canvas.Counters.ToJson());
        Assert.Equal(-1, firstDiff);
        Assert.Equal(traceRows, canvas.Trace.Count);

        int attemptRows = expected.Attempts.Length / 6;
        Assert.Equal(attemptRows, canvas.Attempts.Count);
        for (int i = 0; i < attemptRows; i++)
        {
            var a = canvas.Attempts[i];
            var e = expected.Attempts.AsSpan(6 * i, 6).ToArray();
            Assert.Equal(e, new long[] { a.Seed.Z, a.Seed.Y, a.Seed.X, a.Outcome, a.Voxels, a.NetworkEvaluations });
        }

        // Segmentation: identical after the canvas's negative markers are removed.
        var ours = canvas.Segmentation.Data.Select(v => Math.Max(v, 0)).ToArray();
        int diff = 0;
        for (int i = 0; i < ours.Length; i++) if (ours[i] != expected.Segmentation[i]) diff++;
        output.WriteLine($"segmentation voxels differing: {diff}");
        Assert.Equal(0, diff);
        Assert.Equal(353, canvas.Counters[Counters.NetworkEvaluations]);
    }

    private static string CheckpointImportTests_GoogleCkpt() => Ffn.Tests.Model.Checkpoints.CheckpointImportTests.GoogleCkpt;
}
