using Ffn.Host.Commands;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// The demo's shipped samples. The demo itself runs minutes of real inference, too long for the default test run;
/// these check what it depends on.
/// </summary>
public class DemoCommandTests
{
    [Fact]
    public void Samples_are_small_licensed_and_load()
    {
        Assert.Equal(TestData.RepoRoot, DemoCommand.FindRepository());
        var image = Path.Combine(TestData.RepoRoot, DemoCommand.SampleImage);
        var model = Path.Combine(TestData.RepoRoot, DemoCommand.SampleModel);
        foreach (var f in new[] { image, model, Path.ChangeExtension(model, ".json") })
            Assert.True(new FileInfo(f).Length is > 0 and < 3_000_000, $"{f}: {new FileInfo(f).Length} bytes");
        foreach (var (dir, license, original) in new[] { ("fib25", "LICENSE.txt", "data/fib25/LICENSE.txt"), ("google-fib25", "LICENSE", "data/google-fib25/LICENSE") })
        {
            var folder = Path.Combine(TestData.RepoRoot, "samples", dir);
            Assert.Equal(File.ReadAllBytes(TestData.SharedFile(original.Split('/'))), File.ReadAllBytes(Path.Combine(folder, license)));
            Assert.Contains("changed", File.ReadAllText(Path.Combine(folder, "NOTES.md")));
        }

        var cfg = ModelCheckpoint.Load(model).Config;
        Assert.Equal(new Vec3i(33, 33, 33), cfg.FovSize);
        Assert.Equal(12, cfg.Depth);

        // The crop is exactly training_sample1[93:141, 61:141, 61:181], as h5py reads both files.
        using var r = VolumeStore.OpenRead(new VolumeSpec(image, "raw", VolumeFormat.Hdf5));
        Assert.Equal(new Vec3i(48, 80, 120), r.Info.Shape);
        Assert.Equal(DType.UInt8, r.Info.DType);
        var same = PythonOracle.Run("""
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], 'r')['raw'][...]
b = h5py.File(sys.argv[2], 'r')['raw'][93:141, 61:141, 61:181]
print(a.shape == b.shape and (a == b).all(), a.dtype)
""", image, TestData.SharedFile("data", "fib25", "training_sample1.h5")).Trim();
        Assert.Equal("True uint8", same);
    }

    [Fact]
    public void Refuses_an_output_folder_it_did_not_make()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("mine.txt"), "user data");
        var r = Cli.Run("demo", "--output", tmp.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--output", r.Err);
        Assert.True(File.Exists(tmp.File("mine.txt")));
    }
}
