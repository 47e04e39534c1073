using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Network;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Inference;

public class SubvolumeRunnerTests
{
    private static ConvStack3D Fib25() => ModelCheckpoint.Load(CheckpointImportTests.GoogleCkpt);

    private static ISeedPolicy GoogleSeeds(Volume<float> image, Vec3i margin) => new ListSeedPolicy(GoogleInferenceVector.Instance.SeedCoords);

    private static SubvolumeRequest Request(string dir) => new()
    {
        Image = VolumeSpec.Parse(TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5") + ":raw"),
        Box = new Box3(Vec3i.Zero, new Vec3i(64, 96, 96)),
        OutputDir = dir,
        Deltas = new Vec3i(8, 8, 8),
        CheckpointInterval = 1e-9, // between every two objects
        Options = new InferenceOptions { KeepProbabilityMap = true },
    };

    [Fact]
    public void KilledRunResumesToGooglesResultAndNumpyReadsIt()
    {
        using var tmp = new TempDir();
        using var predictor = new NetworkFovPredictor(Fib25(), CPU);
        var req = Request(tmp.Path);

        // Interrupt in the middle of an object, after several objects exist, as a kill would.
        using var cts = new CancellationTokenSource();
        int evaluations = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => SubvolumeRunner.Run(req, new CountingPredictor(predictor, () =>
        {
            if (++evaluations == 180) cts.Cancel();
        }), GoogleSeeds, cancel: cts.Token));
        Assert.True(File.Exists(SubvolumeRunner.CheckpointPath(req)));
        Assert.False(File.Exists(SubvolumeRunner.ResultPath(req)));

        var r = SubvolumeRunner.Run(req, predictor, GoogleSeeds);
        Assert.True(r.Resumed);
        Assert.False(File.Exists(SubvolumeRunner.CheckpointPath(req)));
        Assert.Equal(14, r.Objects);
        Assert.Equal(156, r.Counters[Counters.SeedsProposed]);
        Assert.Equal(416238, r.Counters[Counters.VoxelsSegmented]);
        var seg = NpzFile.Read(r.SegmentationPath, "segmentation").Get<uint>();
        var expected = GoogleInferenceVector.Instance.Segmentation;
        Assert.Equal(expected.Length, seg.Length);
        for (int i = 0; i < seg.Length; i++) Assert.True(seg[i] == (uint)expected[i], $"voxel {i}: {seg[i]} vs {expected[i]}");

        Assert.Equal("seg_0_0_0.npz", Path.GetFileName(r.SegmentationPath));
        var py = PythonOracle.Run("""
import sys, json, numpy as np
z = np.load(sys.argv[1])
s, o, p = z['segmentation'], z['origins'], z['prob']
info = json.load(open(sys.argv[1][:-4] + '.json'))
ids = np.unique(s[s > 0])
print(s.dtype, s.shape, len(ids), o.shape[0], int((ids == o[:, 0]).all()), int(((p > 0) == (s > 0)).all()), info['objects'], info['counters']['voxels-segmented'] == int((s > 0).sum()))
""", r.SegmentationPath).Trim();
        Assert.Equal("uint32 (64, 96, 96) 14 14 1 1 14 True", py);
    }

    [Fact]
    public void ConstantImageHasNothingToSegment()
    {
        using var tmp = new TempDir();
        var h5 = tmp.File("flat.h5");
        Ffn.Model.Volumes.Hdf5.Hdf5VolumeWriter.WriteVolume(h5, "raw", new Volume<byte>(new Vec3i(40, 40, 40)));
        using var predictor = new NetworkFovPredictor(Fib25(), CPU);
        var r = SubvolumeRunner.Run(Request(tmp.Path) with { Image = VolumeSpec.Parse(h5 + ":raw"), Box = new Box3(Vec3i.Zero, new Vec3i(40, 40, 40)) }, predictor, GoogleSeeds);
        Assert.True(r.NothingToSegment);
        Assert.Equal(0, r.Objects);
        Assert.All(NpzFile.Read(r.SegmentationPath, "segmentation").Get<uint>(), v => Assert.Equal(0u, v));
    }

    [Fact]
    public void SubvolumeOutsideTheVolumeIsRejectedBeforeWork()
    {
        using var tmp = new TempDir();
        using var predictor = new NetworkFovPredictor(Fib25(), CPU);
        var e = Assert.Throws<Ffn.Model.InputException>(() => SubvolumeRunner.Run(
            Request(tmp.Path) with { Box = new Box3(new Vec3i(50, 0, 0), new Vec3i(40, 40, 40)) }, predictor, GoogleSeeds));
        Assert.Contains("outside", e.Message);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    private sealed class CountingPredictor(IFovPredictor inner, Action onPredict) : IFovPredictor
    {
        public Vec3i FovSize => inner.FovSize;

        public void Predict(ReadOnlySpan<float> image, ReadOnlySpan<float> seed, Span<float> logits)
        {
            onPredict();
            inner.Predict(image, seed, logits);
        }
    }
}
