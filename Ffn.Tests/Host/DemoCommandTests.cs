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

    /// <summary>
    /// The whole from-scratch workflow at toy size (seconds, not the 10 minutes of the real demo): every stage runs,
    /// both networks are scored, and the printed figures are scikit-image's on the files the demo wrote.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void From_scratch_runs_every_stage_and_scores_trained_against_untrained()
    {
        using var tmp = new TempDir();
        var r = Cli.Run("demo", "--from-scratch", "--output", tmp.Path, "--scratch-shape", "24,48,48", "--scratch-train-shape", "32,48,48",
            "--scratch-fov", "7,7,7", "--scratch-deltas", "2,2,2", "--train-steps", "20", "--block-shape", "0,24,24", "--overlap", "0,4,4",
            "--workers", "2", "--threads", "1", "--train-args", "--batch_size 4");
        Assert.True(r.ExitCode == 0, r.Err);
        // --train-args replaces the demo's own batch size instead of repeating the flag.
        var trainLine = r.Err.Split('\n').Last(l => l.StartsWith("demo: ffn train", StringComparison.Ordinal));
        Assert.Contains("--batch_size 4", trainLine);
        Assert.DoesNotContain("--batch-size", trainLine);
        foreach (var cmd in new[] { "ffn synth", "ffn partition", "ffn build-coordinates", "ffn train", "ffn run", "ffn eval", "ffn report" })
            Assert.Contains("demo: " + cmd, r.Err);
        Assert.True(File.Exists(Path.Combine(tmp.Path, "run", "report.html")));
        var scratch = Path.Combine(tmp.Path, "scratch");
        foreach (var (name, step, dir) in new[] { ("untrained", 0, Path.Combine(scratch, "run-untrained")), ("trained", 20, Path.Combine(tmp.Path, "run")) })
        {
            var line = r.Out.Split('\n').Single(l => l.TrimStart().StartsWith(name + " network", StringComparison.Ordinal));
            var m = System.Text.RegularExpressions.Regex.Match(line, @"\(step +(\d+)\): Rand F1 ([0-9.]+), VI ([0-9.]+) bits");
            Assert.True(m.Success, line);
            Assert.Equal(step, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            var sk = PythonOracle.SegmentationScores(Path.Combine(dir, "final_result.h5"), Path.Combine(scratch, "test.h5"));
            double D(string v) => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture);
            // Printed to 3 decimals.
            Assert.InRange(D(m.Groups[2].Value) - (1 - sk.AdaptedRandError), -5.01e-4, 5.01e-4);
            Assert.InRange(D(m.Groups[3].Value) - sk.Vi, -5.01e-4, 5.01e-4);
        }
        Assert.Matches("demo: (it learned|WARNING: the trained network did not score better)", r.Out);
    }

    [Theory]
    [InlineData("--scratch-fov", "10,11,11", "must be odd")]
    [InlineData("--scratch-deltas", "3,x,3", "--scratch-deltas")]
    [InlineData("--train-steps", "0", "--train-steps must be >= 1")]
    public void Bad_from_scratch_flags_are_one_line_before_the_output_folder_is_made(string flag, string value, string expect)
    {
        using var tmp = new TempDir();
        var outDir = tmp.File("demo");
        var r = Cli.Run("demo", "--from-scratch", "--output", outDir, flag, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expect, r.ErrLines[^1]);
        Assert.False(Directory.Exists(outDir));
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
