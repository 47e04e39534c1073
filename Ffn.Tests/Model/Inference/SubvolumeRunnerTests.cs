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

    private static SubvolumeRequest Request(string dir, string? image = null) => new()
    {
        Settings = new SegmentationSettings
        {
            Image = VolumeSpec.Parse(image ?? TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5") + ":raw"),
            ModelPath = CheckpointImportTests.GoogleCkpt,
            Deltas = new Vec3i(8, 8, 8),
        },
        Box = new Box3(Vec3i.Zero, new Vec3i(64, 96, 96)),
        OutputDir = dir,
    };

    [Fact]
    public void ConstantImageHasNothingToSegment()
    {
        using var tmp = new TempDir();
        var h5 = tmp.File("flat.h5");
        Ffn.Model.Volumes.Hdf5.Hdf5VolumeWriter.WriteVolume(h5, "raw", new Volume<byte>(new Vec3i(40, 40, 40)));
        using var predictor = new NetworkFovPredictor(Fib25(), CPU);
        var r = SubvolumeRunner.Run(Request(tmp.Path, h5 + ":raw") with { Box = new Box3(Vec3i.Zero, new Vec3i(40, 40, 40)) }, predictor, seedPolicy: GoogleSeeds);
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
            Request(tmp.Path) with { Box = new Box3(new Vec3i(50, 0, 0), new Vec3i(40, 40, 40)) }, predictor, seedPolicy: GoogleSeeds));
        Assert.Contains("outside", e.Message);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }
}
