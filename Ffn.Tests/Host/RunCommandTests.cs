using System.Text.Json.Nodes;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Host;

/// <summary>`ffn run` end to end with a real (tiny, randomly initialised) network on a synthetic volume.</summary>
public class RunCommandTests
{
    private static string TinyModel(TempDir tmp, string name = "tiny.pkl", int seed = 3)
    {
        manual_seed(seed);
        var cfg = new ModelConfig { Depth = 1, Features = 4, FovSize = new Vec3i(7, 7, 7), Deltas = new Vec3i(2, 2, 2), ImageMean = 128, ImageStddev = 33 };
        using var m = new ConvStack3D(cfg);
        var path = tmp.File(name);
        ModelCheckpoint.Save(m, path, cfg);
        return path;
    }

    private static string Synth(TempDir tmp)
    {
        var path = tmp.File("vol.h5");
        var r = Cli.Run("synth", path, "--shape", "32,40,40", "--seed", "2", "--empty-slab");
        Assert.True(r.ExitCode == 0, r.Err);
        return path;
    }

    private static string[] RunArgs(string input, string model, string outDir, params string[] extra) =>
        ["run", "--input", input + ":raw", "--model", model, "--output", outDir, "--block-shape", "8,20,20", "--min-seg-size", "20",
         "--workers", "2", "--threads", "1", "--merge", "faces", "--min-consecutive-pixels", "3", .. extra];

    private static Volume H5(string dir)
    {
        using var r = Hdf5VolumeReader.Open(Path.Combine(dir, "final_result.h5"), "segmentation");
        return r.Read(Box3.FromShape(r.Info.Shape));
    }

    [Fact]
    public void Devices_cpu_cpu_runs_one_worker_per_device_with_the_same_output_and_names_the_device_of_each_block()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TinyModel(tmp);
        var a = Cli.Run(RunArgs(input, model, tmp.File("workers"), "--report", "false"));
        Assert.True(a.ExitCode == 0, a.Err);
        var args = RunArgs(input, model, tmp.File("devices"), "--report", "true").ToList();
        args.RemoveRange(args.IndexOf("--workers"), 2);
        var b = Cli.Run([.. args, "--devices", "cpu,cpu"]);
        Assert.True(b.ExitCode == 0, b.Err);
        Assert.Contains("2 worker(s) on cpu", b.Err + b.Out);
        Assert.True(H5(tmp.File("workers")).ContentEquals(H5(tmp.File("devices"))));

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(tmp.File("devices"), "summary.json")))!;
        var done = summary["blocks"]!.AsArray().Where(x => (string?)x!["state"] == "done").ToList();
        Assert.Equal(12, done.Count);
        Assert.All(done, x => Assert.Equal("cpu", (string?)x!["device"]));
        var html = File.ReadAllText(Path.Combine(tmp.File("devices"), "report.html"));
        Assert.Contains("<th>device</th>", html);
        Assert.Contains("</td><td>cpu</td>", html);

        // Bad lists: a misspelt device, CUDA where there is none, and --workers with --devices.
        var typo = Cli.Run([.. args, "--devices", "cpu,gpu0"]);
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("--devices cpu,gpu0: \"gpu0\" is not a device", typo.Err);
        if (!cuda.is_available())
        {
            var noCuda = Cli.Run([.. args, "--devices", "cuda:0,cuda:1"]);
            Assert.Equal(2, noCuda.ExitCode);
            Assert.Contains("--devices cuda:0: CUDA is not available", noCuda.Err);
        }
        var both = Cli.Run([.. args, "--devices", "cpu", "--workers", "2"]);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Err);
        var zero = Cli.Run([.. args, "--devices", "cpu", "--workers-per-device", "0"]);
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--workers-per-device must be >= 1", zero.Err);
    }

    [Fact]
    public void Runs_skips_empty_blocks_writes_readable_outputs_and_resumes_identically()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TinyModel(tmp);
        var outDir = tmp.File("run");
        var r = Cli.Run(RunArgs(input, model, outDir));
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        Assert.Equal(16, (int)summary["blocks_total"]!);
        Assert.Equal(4, (int)summary["blocks_empty"]!); // synth --empty-slab zeroes z 0..7: the first layer of blocks
        Assert.Equal(12, (int)summary["blocks_done"]!);
        Assert.Equal(12, Directory.GetFiles(Path.Combine(outDir, "blocks"), "seg_*.npz").Length);
        Assert.True((bool)summary["complete"]!);

        // h5py and tifffile read both outputs: same shape, dtype and content.
        var check = PythonOracle.Run("""
import sys, h5py, tifffile, numpy as np
d = sys.argv[1]
with h5py.File(d + '/final_result.h5', 'r') as f:
    a = f['segmentation'][...]
b = tifffile.imread(d + '/final_result.tif')
assert a.shape == (32, 40, 40), a.shape
assert a.dtype == np.uint32 and b.dtype == np.uint32, (a.dtype, b.dtype)
assert (a == b).all()
assert (a[:8] == 0).all()
print(len(np.unique(a)))
""", outDir);
        Assert.True(int.Parse(check.Trim()) >= 1);
        var first = H5(outDir);

        // A second run in the same directory reuses every committed block and writes the same datasets.
        var again = Cli.Run(RunArgs(input, model, outDir));
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Contains("0 done, 12 reused, 4 empty, 0 failed of 16 blocks", again.Out);
        Assert.True(first.ContentEquals(H5(outDir)));

        // Another model in the same directory is refused, unless --force.
        var other = TinyModel(tmp, "other.pkl", seed: 4);
        var refused = Cli.Run(RunArgs(input, other, outDir));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("holds a different run (model_sha256", refused.Err);
        var forced = Cli.Run(RunArgs(input, other, outDir, "--force"));
        Assert.True(forced.ExitCode == 0, forced.Err);
        Assert.Contains("12 done, 0 reused", forced.Out);
    }

    [Fact]
    public void The_seeds_positional_form_works()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TinyModel(tmp);
        var r = Cli.Run("run", input, tmp.File("out"), "--model", model, "--block-shape", "0,40,40", "--min-seg-size", "20", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("1 done, 0 reused, 0 empty, 0 failed of 1 blocks", r.Out);
        Assert.True(File.Exists(tmp.File("out/final_result.tif")));
    }

    [Fact]
    public void A_failed_output_write_stops_the_run_cleanly_and_a_rerun_resumes()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TinyModel(tmp);
        var outDir = tmp.File("run");
        // A directory where the output file must go makes the final rename fail, as a full disk would fail a write.
        Directory.CreateDirectory(Path.Combine(outDir, "final_result.h5"));
        var r = Cli.Run(RunArgs(input, model, outDir));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("run aborted: stitching failed", r.Err);
        Assert.False(File.Exists(Path.Combine(outDir, "summary.json")));
        Assert.Empty(Directory.GetFiles(outDir, ".*tmp*"));
        Assert.Equal(12, Directory.GetFiles(Path.Combine(outDir, "blocks"), "seg_*.json").Length);

        Directory.Delete(Path.Combine(outDir, "final_result.h5"));
        var again = Cli.Run(RunArgs(input, model, outDir));
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Contains("0 done, 12 reused", again.Out);
    }

    /// <summary>
    /// One NaN and one Inf voxel in a float32 input made every block empty ("complete", 0 objects, exit 0). The input
    /// is now refused before any block, naming the first non-finite voxel; the same volume without them segments.
    /// </summary>
    [Fact]
    public void A_non_finite_input_voxel_is_refused_before_any_block()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        string clean = tmp.File("clean.h5"), bad = tmp.File("bad.h5");
        FloatImageCopy.Write(input, clean);
        FloatImageCopy.Write(input, bad, (new Vec3i(20, 30, 5), "inf"), (new Vec3i(12, 3, 33), "nan"));
        string[] Args(string vol, string dir) =>
            ["run", "--input", vol + ":raw", "--model", model, "--output", dir, "--block-shape", "16,40,40", "--min-seg-size", "20", "--threads", "1"];

        var ok = Cli.Run(Args(clean, tmp.File("clean")));
        Assert.True(ok.ExitCode == 0, ok.Err);
        var objects = PythonOracle.Run("""
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], 'r')['segmentation'][...]
print(len(np.unique(a[a > 0])))
""", tmp.File("clean/final_result.h5"));
        Assert.True(int.Parse(objects.Trim()) > 0, "the clean float input segments");

        var r = Cli.Run(Args(bad, tmp.File("bad")));
        Assert.True(r.ExitCode == 2, r.Out + r.Err);
        Assert.Contains($"ffn: error: {bad}:raw: voxel (z,y,x) 12,3,33 is NaN (2 non-finite voxels in all)", r.Err);
        Assert.False(Directory.Exists(tmp.File("bad")), "no run directory for refused input");

        // Normalization flags that would make every voxel non-finite are refused the same way.
        foreach (var (flag, value) in new[] { ("--image-mean", "NaN"), ("--image-stddev", "Infinity"), ("--image-mean", "1E+300"), ("--image-stddev", "0") })
        {
            var f = Cli.Run([.. Args(clean, tmp.File("flags")), flag, value]);
            Assert.True(f.ExitCode == 2, f.Err);
            Assert.Contains(value == "0" ? "ffn: error: --image-stddev must be > 0, got 0" : $"ffn: error: {flag} must be a finite float32 number, got {value}", f.Err);
        }
        Assert.False(Directory.Exists(tmp.File("flags")));
    }

    /// <summary>
    /// A run whose blocks are mostly time inside libtorch, as with a real network: 6 blocks of a synthetic volume,
    /// a few FoV steps each (the TestModels.BrightObjects flood fill, 33³ FoV, deltas 16), and 128 zero features that
    /// make each forward pass take about a second.
    /// </summary>
    private static string[] SlowRunArgs(TempDir tmp, string outDir)
    {
        var input = tmp.File("cells.h5");
        // 16 blocks: each signalled trial commits a few, and blocks must remain for the next trial to be signalled mid-block.
        if (!File.Exists(input)) Assert.Equal(0, Cli.Run("synth", input, "--shape", "40,160,160", "--seed", "4").ExitCode);
        var model = tmp.File("slow.pkl");
        if (!File.Exists(model)) TestModels.BrightObjects(model, fov: 33, delta: 16, features: 128);
        return ["run", "--input", input + ":raw", "--model", model, "--output", outDir, "--block-shape", "0,40,40", "--min-seg-size", "20",
                "--workers", "2", "--threads", "1", "--merge", "none"];
    }

    private static bool BlockCommitted(string line) => line.StartsWith("block seg_", StringComparison.Ordinal) && line.Contains(" objects in ");

    [Fact]
    [Trait("Category", "Slow")]
    public void A_termination_signal_after_the_first_block_exits_130_every_time_and_the_rerun_resumes()
    {
        using var tmp = new TempDir();
        var outDir = tmp.File("run");
        var args = SlowRunArgs(tmp, outDir);
        // SIGTERM (as kill or a service manager sends it; SIGINT takes the same path but a test host may ignore it), a
        // second after a block: its worker is then inside the first forward pass of its next block, the other one
        // inside some forward pass of its own.
        const int trials = 3;
        for (int trial = 0; trial < trials; trial++)
        {
            using var p = new FfnProcess($"trial {trial}", args);
            p.WaitForLine(BlockCommitted, TimeSpan.FromMinutes(3));
            Thread.Sleep(1000);
            FfnProcess.Terminate(p);
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "no exit within a minute of SIGTERM\n" + p.Log);
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode} (139 = SIGSEGV)\n{p.Log}");
            Assert.Contains("ffn: error: cancelled", p.Log);
        }
        var rerun = Cli.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Err);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        Assert.True((int)summary["blocks_reused"]! >= trials, summary.ToJsonString()); // each trial committed a block
        Assert.Equal(16, (int)summary["blocks_reused"]! + (int)summary["blocks_done"]!);
    }

    [Fact]
    public void A_second_run_on_a_directory_in_use_is_refused_before_it_writes_and_a_killed_runs_lock_does_not_block_the_resume()
    {
        using var tmp = new TempDir();
        var outDir = tmp.File("run");
        var args = SlowRunArgs(tmp, outDir);
        using var first = new FfnProcess("first", args);
        first.WaitForLine(BlockCommitted, TimeSpan.FromMinutes(3));
        var manifest = File.ReadAllBytes(Path.Combine(outDir, "run.json"));
        // Stands for a temporary the first run is writing right now.
        var live = AtomicFile.TempPathFor(Path.Combine(outDir, "final_result.h5"));
        File.WriteAllText(live, "being written");

        // The same run twice would compute every block twice; another model with --force would delete the first's blocks.
        var otherModel = args.ToArray();
        otherModel[Array.IndexOf(args, "--model") + 1] = TinyModel(tmp);
        foreach (var second in new[] { args, [.. otherModel, "--force"] })
        {
            var r = Cli.Run(second);
            Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Err}\n{first.Log}");
            var line = Assert.Single(r.ErrLines);
            Assert.Equal($"ffn: error: --output {outDir}: in use by another ffn run (pid {first.Id} on {Environment.MachineName}); wait for it to end or stop it", line);
        }
        Assert.Equal(manifest, File.ReadAllBytes(Path.Combine(outDir, "run.json")));
        Assert.True(File.Exists(live), "a refused run deleted the running one's temporary");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "blocks"), "seg_*.json"));

        first.Kill(); // SIGKILL: its lock goes with it
        var resumed = Cli.Run(args);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.Matches(@"complete: \d+ done, [1-9]\d* reused", resumed.Out);
        Assert.False(File.Exists(live), "the dead run's temporary was left behind");
    }

    [Fact]
    public void A_run_removes_the_temporaries_a_killed_run_left_behind()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TinyModel(tmp);
        var outDir = tmp.File("run");
        Assert.Equal(0, Cli.Run(RunArgs(input, model, outDir)).ExitCode);
        // What SIGKILL during stitching (and during a block's commit) leaves: the writers' temporaries, here made by
        // their own naming; the last is how the volume writers named them before.
        string[] left =
        [
            AtomicFile.TempPathFor(Path.Combine(outDir, "final_result.h5")),
            AtomicFile.TempPathFor(Path.Combine(outDir, "final_result.tif")),
            AtomicFile.TempPathFor(Path.Combine(outDir, "blocks", "seg_8_0_0.npz")),
            Path.Combine(outDir, "final_result.h5.tmp-" + Guid.NewGuid().ToString("N")),
        ];
        foreach (var f in left) File.WriteAllBytes(f, new byte[4096]);

        var again = Cli.Run(RunArgs(input, model, outDir));
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.All(left, f => Assert.False(File.Exists(f), f));
        Assert.Contains($"removed {left.Length} temporary file(s) left by an interrupted run", again.Err);
        Assert.Contains("0 done, 12 reused", again.Out);
    }

    [Fact]
    public void Bad_input_gets_one_line_naming_the_flag()
    {
        using var tmp = new TempDir();
        var input = Synth(tmp);
        var model = TinyModel(tmp);
        var o = tmp.File("o");
        var cases = new (string[] Args, string Expect)[]
        {
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--block-shape", "4,20,20"], "--block-shape"),
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--block-shape", "8,20,20", "--overlap", "0,20,0"], "--overlap"),
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--merge", "overlap"], "--merge overlap"),
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--merge", "glue"], "--merge glue"),
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--workers", "0"], "--workers"),
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--normalize", "maybe"], "--normalize"),
            (["run", "--input", input + ":raw", "--output", o], "--model"),
            (["run", "--input", tmp.File("missing.h5") + ":raw", "--model", model, "--output", o], "missing.h5"),
            (["run", "--input", input + ":raw", "--model", model, "--output", o, "--mask", input + ":labels", "--block-shape", "8,20,20", "--context", "1,1"], "--context"),
        };
        foreach (var (args, expect) in cases)
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.Err}");
            Assert.Contains(expect, r.Err);
            Assert.True(r.ErrLines.Length <= 2, r.Err);
        }
        Assert.False(File.Exists(Path.Combine(o, "final_result.h5")));
    }
}
