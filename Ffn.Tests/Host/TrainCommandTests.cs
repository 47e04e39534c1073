using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Training;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Model.Training;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>`ffn train` end to end: a tiny run, its resume, fine-tuning both foreign checkpoints, and bad input.</summary>
[Trait("Category", "Numerics")]
[Trait("Purpose", "Training")]
public class TrainCommandTests
{
    private static string[] Tiny(TrainingTestData t, string ck, params string[] more) =>
    [
        "train", "--train_coords", t.CoordsPath, "--data_volumes", t.ImagePath, "--label_volumes", t.LabelPath, "--checkpoints", ck,
        "--fov_size", "5,5,5", "--deltas", "1,1,1", "--batch_size", "2", "--image_mean", "600", "--image_stddev", "300", "--log-every", "2",
        "--threshold", "0.5", .. more,
    ];

    [Fact]
    public void Tiny_run_writes_checkpoints_and_resumes_where_it_stopped()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 12);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");
        var r = Cli.Run(Tiny(t, ck, "--depth", "2", "--features", "4", "--max_steps", "4", "--checkpoint-every-steps", "2", "--image-summary-every", "2"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("trained steps 0..4", r.Out);
        Assert.Contains("step 4/4: loss ", r.Err);
        var first = TrainingCheckpoint.FindNewest(ck)!;
        Assert.Equal(4, first.Step);
        Assert.Matches(@"^[0-9]+_4\.pkl$", Path.GetFileName(first.ModelPath));
        Assert.Single(Directory.GetFiles(ck, "*_2.train.json"));
        var net = ModelCheckpoint.Load(first.ModelPath);
        Assert.Equal((2, 4, 4L, new Vec3i(5, 5, 5)), (net.Config.Depth, net.Config.Features, net.Config.TrainingStep, net.Config.FovSize));
        Assert.Single(Directory.GetFiles(ck, "events.out.tfevents.*"));

        // Same command, more steps: continues from step 4 (depth/features come from the checkpoint).
        r = Cli.Run(Tiny(t, ck, "--max_steps", "6"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("resuming from", r.Err);
        Assert.Contains("trained steps 4..6", r.Out);
        Assert.Equal(6, TrainingCheckpoint.FindNewest(ck)!.Step);
    }

    [Fact]
    public void Zero_steps_writes_the_untrained_network_that_training_resumes_from()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 12);
        using var tmp = new TempDir();
        string[] Weights(string ck)
        {
            var path = TrainingCheckpoint.FindNewest(ck)!.ModelPath;
            var net = ModelCheckpoint.Load(path);
            Assert.Equal(0L, net.Config.TrainingStep);
            return [.. net.parameters().Select(p => string.Join(',', p.data<float>().ToArray()))];
        }
        foreach (var (dir, seed) in new[] { ("a", "7"), ("b", "7"), ("c", "8") })
        {
            var r = Cli.Run(Tiny(t, tmp.File(dir), "--depth", "2", "--features", "4", "--max_steps", "0", "--seed", seed));
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.Contains("wrote the untrained network (step 0", r.Out);
        }
        Assert.Equal(Weights(tmp.File("a")), Weights(tmp.File("b")));
        Assert.NotEqual(Weights(tmp.File("a")), Weights(tmp.File("c")));

        // It is a training checkpoint: asking for 0 steps again does nothing, more steps resume from it.
        var again = Cli.Run(Tiny(t, tmp.File("a"), "--max_steps", "0", "--seed", "7"));
        Assert.Contains("nothing to do", again.Out);
        var on = Cli.Run(Tiny(t, tmp.File("a"), "--max_steps", "2", "--seed", "7"));
        Assert.True(on.ExitCode == 0, on.Err);
        Assert.Contains("trained steps 0..2", on.Out);
    }

    public static TheoryData<string, string> ForeignModels => new()
    {
        { CheckpointImportTests.GoogleCkpt, "convstack_3d" },
        { CheckpointImportTests.FfnPyCkpt, "ffnpy_basic" },
    };

    [Theory]
    [MemberData(nameof(ForeignModels))]
    public void Fine_tunes_google_and_seed_checkpoints(string model, string arch)
    {
        using var t = TrainingTestData.Create(seed: 5, count: 6);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");
        var r = Cli.Run(Set(Tiny(t, ck, "--starting_model", model, "--max_steps", "2"), (14, "1")));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("fine-tuning", r.Err);
        var saved = TrainingCheckpoint.FindNewest(ck)!;
        var net = ModelCheckpoint.Load(saved.ModelPath);
        Assert.Equal(arch, net.Config.Architecture.Name());
        Assert.Equal((12, 32, 2L), (net.Config.Depth, net.Config.Features, net.Config.TrainingStep));
        // The weights started from the checkpoint (close to it after two small steps), not from scratch.
        var start = ModelCheckpoint.Load(model);
        var a = start.state_dict()["conv1_a.weight"];
        var b = net.state_dict()["conv1_a.weight"];
        double moved = (a - b).abs().max().item<float>(), size = a.abs().max().item<float>();
        Assert.True(moved > 0 && moved < 0.05 * size, $"moved {moved} of {size}");
    }

    [Fact]
    public void Bad_input_is_one_line_before_training()
    {
        using var t = TrainingTestData.Create(seed: 6, count: 4);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");

        // A coordinate within the example radius (2 + 1 = 3) of a face.
        var edge = tmp.File("edge.npy");
        TrainingTestData.WriteCoords(edge, [new Vec3i(5, 5, 5), new Vec3i(5, 2, 5)]);
        var r = Cli.Run(Set(Tiny(t, ck, "--depth", "1", "--features", "2", "--max_steps", "1"), (2, edge)));
        AssertOneLine(r, "row 1", edge);

        // Coordinates naming a volume that no --data-volumes entry has.
        var named = tmp.File("named.npy");
        TrainingTestData.WriteCoords(named, [new Vec3i(5, 5, 5)]);
        NpyFile.Write(tmp.File("named.volumes.npy"), NdArray.Create(new[] { 0 }, 1));
        File.WriteAllText(tmp.File("named.volumes.json"), "[\"sample1\"]");
        r = Cli.Run(Set(Tiny(t, ck, "--max_steps", "1"), (2, named), (4, "other:" + t.ImagePath), (6, "other:" + t.LabelPath)));
        AssertOneLine(r, "'sample1'", "--data-volumes");

        // Labels of another shape than the image.
        var small = tmp.File("small.npy");
        NpyFile.Write(small, new Ffn.Model.Volumes.Volume<uint>(new Vec3i(12, 12, 11)));
        r = Cli.Run(Set(Tiny(t, ck, "--max_steps", "1"), (6, small)));
        AssertOneLine(r, "12,12,11", "--label-volumes");

        // A starting model of another architecture than the one asked for.
        r = Cli.Run(Tiny(t, ck, "--max_steps", "1", "--starting-model", CheckpointImportTests.FfnPyCkpt, "--depth", "4"));
        AssertOneLine(r, "depth 12", CheckpointImportTests.FfnPyCkpt);

        Assert.True(!Directory.Exists(ck) || Directory.GetFiles(ck).Length == 0, "nothing is written for bad input");
    }

    /// <summary>
    /// NaN slipped through every range check (`--learning-rate NaN` trained and wrote NaN weights; 1e300 crashed in
    /// libtorch): each float flag of `ffn train` must now be a finite float32 number, one line naming it, before any data
    /// is read.
    /// </summary>
    [Fact]
    public void Non_finite_float_flags_are_refused()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 4);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");
        var inTiny = new Dictionary<string, int> { ["--image-mean"] = 16, ["--image-stddev"] = 18, ["--threshold"] = 22 };
        string[] flags =
        [
            "--threshold", "--seed-pad", "--seed-init", "--label-softness", "--image-mean", "--image-stddev", "--learning-rate", "--momentum",
            "--adam-beta1", "--adam-beta2", "--adam-epsilon", "--lr-decay-factor", "--grad-clip", "--jitter-scale", "--jitter-shift",
            "--checkpoint-every-minutes",
        ];
        foreach (var flag in flags)
            foreach (var value in new[] { "NaN", "Infinity", "-Infinity", "1E+300" }) // the last one is an infinity in float32
            {
                var args = Tiny(t, ck, "--depth", "1", "--features", "2", "--max_steps", "1");
                var r = Cli.Run(inTiny.TryGetValue(flag, out int i) ? Set(args, (i, value)) : [.. args, flag, value]);
                // The parser refuses it, as for every float flag of every command.
                Assert.Equal(2, r.ExitCode);
                Assert.Equal([$"ffn train: {flag} must be a finite float32 number, got {value}", "Run 'ffn train --help' for usage."], r.ErrLines);
            }
        Assert.False(Directory.Exists(ck), "nothing is written for bad flags");
    }

    /// <summary>
    /// A diverged run saved its NaN weights as the newest checkpoint, and every resume loaded them. Now nothing
    /// non-finite is written: the error names the last finite checkpoint, and a lower rate resumes from it.
    /// </summary>
    [Fact]
    public void A_diverged_run_keeps_the_last_finite_checkpoint_and_a_lower_rate_resumes_from_it()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 12);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");
        var good = TwoSteps(t, ck, "sgd");

        // The first update makes the weights so large that the next forward pass overflows: a NaN or Inf loss.
        var r = Cli.Run(Tiny(t, ck, "--max_steps", "50", "--optimizer", "sgd", "--learning-rate", "1e30"));
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines, l => l.StartsWith("ffn: error:", StringComparison.Ordinal));
        Assert.Matches(@"^ffn: error: training diverged at step [0-9]+ \(", line);
        Assert.EndsWith($"the newest checkpoint is still {good.ModelPath} (step 2): rerun with a lower --learning-rate to resume from it", line);
        Assert.Equal(good, TrainingCheckpoint.FindNewest(ck));

        // torch.load finds only finite tensors in every checkpoint file in the directory.
        var nonFinite = PythonOracle.Run("""
import sys, glob, torch
bad = [f + ':' + k for f in sorted(glob.glob(sys.argv[1] + '/*.pkl')) for k, v in torch.load(f).items()
       if v.is_floating_point() and not torch.isfinite(v).all()]
print(len(glob.glob(sys.argv[1] + '/*.pkl')), bad)
""", ck).Trim();
        Assert.Equal("2 []", nonFinite);

        r = Cli.Run(Tiny(t, ck, "--max_steps", "4", "--optimizer", "sgd", "--learning-rate", "0.001"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains($"resuming from {good.ModelPath} (step 2)", r.Err);
        Assert.Contains("trained steps 2..4", r.Out);
    }

    /// <summary>A checkpoint holding NaN weights or NaN optimizer state (written by an earlier ffn or by hand) is refused.</summary>
    [Fact]
    public void Resuming_or_fine_tuning_from_non_finite_weights_is_refused()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 12);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");
        var saved = TwoSteps(t, ck, "adam");
        const string poison = """
import sys, torch
sd = torch.load(sys.argv[1])
sd[sys.argv[2]].view(-1)[3] = float(sys.argv[3])
torch.save(sd, sys.argv[1])
""";
        File.Copy(saved.ModelPath, tmp.File("good.pkl"));
        PythonOracle.Run(poison, saved.ModelPath, "conv0_b.weight", "nan");
        var files = Directory.GetFiles(ck).Order().ToArray();

        var r = Cli.Run(Tiny(t, ck, "--max_steps", "4", "--optimizer", "adam"));
        AssertOneLine(r, saved.ModelPath, "tensor conv0_b.weight holds NaN or Inf");
        Assert.Equal(files, Directory.GetFiles(ck).Order().ToArray());

        // The same weights as --starting-model of a new run.
        r = Cli.Run(Tiny(t, tmp.File("ck2"), "--max_steps", "4", "--starting-model", saved.ModelPath));
        AssertOneLine(r, saved.ModelPath, "tensor conv0_b.weight holds NaN or Inf");

        // ...and as the network of `ffn infer`, which would segment nothing with it.
        r = Cli.Run("infer", "--image-path", t.ImagePath, "--model", saved.ModelPath, "--corner", "0,0,0", "--seg-result-path", tmp.File("inf"));
        AssertOneLine(r, saved.ModelPath, "tensor conv0_b.weight holds NaN or Inf");

        // Finite weights, but Adam's state holds an infinity.
        File.Copy(tmp.File("good.pkl"), saved.ModelPath, overwrite: true);
        PythonOracle.Run(poison, saved.TensorsPath, "conv0_a.weight.exp_avg_sq", "inf");
        r = Cli.Run(Tiny(t, ck, "--max_steps", "4", "--optimizer", "adam"));
        AssertOneLine(r, saved.TensorsPath, "optimizer state 'conv0_a.weight.exp_avg_sq' holds NaN or Inf");
        Assert.Equal(files, Directory.GetFiles(ck).Order().ToArray());
    }

    /// <summary>`ffn train` read float32 labels as object ids; partition refuses them. Both now apply one check, one message.</summary>
    [Fact]
    public void Float_labels_are_refused_as_partition_refuses_them()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 4);
        using var tmp = new TempDir();
        var labels = tmp.File("labels_f4.npy");
        PythonOracle.Run("""
import sys, numpy as np
np.save(sys.argv[2], np.load(sys.argv[1]).astype(np.float32))
""", t.LabelPath, labels);
        var ck = tmp.File("ck");
        var r = Cli.Run(Set(Tiny(t, ck, "--max_steps", "1"), (6, labels)));
        AssertOneLine(r, $"{labels}: labels must have an integer dtype, found float32");
        var part = Cli.Run("partition", "--input-volume", labels, "--output-volume", tmp.File("p.h5:p"), "--lom-radius", "1,1,1", "--min-size", "1");
        Assert.Equal(2, part.ExitCode);
        Assert.Equal(r.ErrLines.Single(l => l.StartsWith("ffn: error:", StringComparison.Ordinal)), part.ErrLines.Single());
        Assert.False(Directory.Exists(ck) && Directory.GetFiles(ck).Length > 0, "nothing is written for bad input");
    }

    /// <summary>A NaN or Inf image voxel is refused as `stats`, `infer` and `run` refuse it, naming the first one.</summary>
    [Fact]
    public void Non_finite_image_voxels_are_refused()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 4);
        using var tmp = new TempDir();
        var image = tmp.File("image_nan.npy");
        PythonOracle.Run("""
import sys, numpy as np
a = np.load(sys.argv[1])
a[7, 1, 1] = -np.inf
a[2, 3, 4] = np.nan
np.save(sys.argv[2], a)
""", t.ImagePath, image);
        var ck = tmp.File("ck");
        var r = Cli.Run(Set(Tiny(t, ck, "--max_steps", "1"), (4, image)));
        AssertOneLine(r, $"{image}: voxel (z,y,x) 2,3,4 is NaN (2 non-finite voxels in all)");
        Assert.False(Directory.Exists(ck) && Directory.GetFiles(ck).Length > 0, "nothing is written for bad input");
    }

    /// <summary>The loss falls on a real (small) problem: synth → partition → build-coordinates → train.</summary>
    [Fact]
    public void Training_on_a_synthetic_volume_makes_the_loss_fall()
    {
        using var tmp = new TempDir();
        string v = tmp.File("v.h5"), p = tmp.File("p.h5"), c = tmp.File("c.npy");
        Assert.Equal(0, Cli.Run("synth", v, "--shape", "32,48,48", "--seed", "3").ExitCode);
        Assert.Equal(0, Cli.Run("partition", "--input-volume", v + ":labels", "--output-volume", p + ":part", "--lom-radius", "6,6,6", "--min-size", "100").ExitCode);
        Assert.Equal(0, Cli.Run("build-coordinates", "--partition-volumes", "v:" + p + ":part", "--coordinate-output", c, "--margin", "8,8,8").ExitCode);
        var r = Cli.Run("train", "--train-coords", c, "--data-volumes", "v:" + v + ":raw", "--label-volumes", "v:" + v + ":labels",
            "--checkpoints", tmp.File("ck"), "--depth", "2", "--features", "8", "--fov-size", "9,9,9", "--deltas", "2,2,2", "--batch-size", "8",
            "--max-steps", "300", "--log-every", "50", "--optimizer", "adam", "--learning-rate", "0.003", "--image-mean", "139",
            "--image-stddev", "35", "--threads", "2");
        Assert.True(r.ExitCode == 0, r.Err);
        var windows = r.ErrLines.Where(l => l.StartsWith("step ", StringComparison.Ordinal))
            .Select(l => (Loss: Number(l, "loss "), F1: double.Parse(l.Split("P/R/F1 ")[1].Split(',')[0].Split('/')[2], System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(6, windows.Count);
        Assert.True(windows[^1].Loss < 0.75 * windows[0].Loss, $"loss did not fall enough: {string.Join(", ", windows)}");
        Assert.True(windows[^1].F1 > windows[0].F1, $"F1 did not rise: {string.Join(", ", windows)}");

        static double Number(string line, string after) =>
            double.Parse(line.Split(after)[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_termination_signal_finishes_the_step_writes_a_checkpoint_and_exits_130()
    {
        using var t = TrainingTestData.Create(seed: 4, count: 12);
        using var tmp = new TempDir();
        var ck = tmp.File("ck");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ffn.dll"));
        foreach (var a in Tiny(t, ck, "--depth", "2", "--features", "4", "--max_steps", "1000000", "--checkpoint-every-steps", "0",
                     "--checkpoint-every-minutes", "0")) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = new System.Text.StringBuilder();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null && !line.StartsWith("step 4/", StringComparison.Ordinal)) err.AppendLine(line);
        Assert.True(line is not null, err.ToString());
        // SIGTERM rather than SIGINT: a shell starts background jobs with SIGINT ignored, and children inherit that.
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        var restTask = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        var rest = await restTask;
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("train: checkpoint", rest);
        var saved = TrainingCheckpoint.FindNewest(ck)!;
        Assert.True(saved.Step >= 4, rest);
        Assert.Equal(saved.Step, ModelCheckpoint.Load(saved.ModelPath).Config.TrainingStep);
        await stdout;
    }

    [Fact]
    public void Bench_train_times_ours_next_to_python_pytorch()
    {
        using var tmp = new TempDir();
        var ckpt = tmp.File("tiny.pkl");
        Ffn.Model.Checkpoints.ModelCheckpoint.Save(new ConvStack3D(new ModelConfig { Depth = 2, Features = 4, FovSize = new Vec3i(9, 9, 9) }), ckpt);
        var r = Cli.Run("bench", "train", "--model", ckpt, "--batch", "2", "--rounds", "2", "--per-round", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("depth 2, 4 features, FoV 9,9,9; batch 2", r.Out);
        Assert.Matches(@"ours: median [0-9.]+ s per step of \[[0-9.]+, [0-9.]+\]", r.Out);
        Assert.Matches(@"python torch [^:]+: median [0-9.]+ s per step", r.Out);
        Assert.Matches(@"ours/python: [0-9.]+x", r.Out);
    }

    /// <summary>Two steps of a new depth-2 network into <paramref name="ck"/>: its checkpoint.</summary>
    private static TrainingCheckpoint TwoSteps(TrainingTestData t, string ck, string optimizer)
    {
        var r = Cli.Run(Tiny(t, ck, "--depth", "2", "--features", "4", "--max_steps", "2", "--optimizer", optimizer));
        Assert.True(r.ExitCode == 0, r.Err);
        var saved = TrainingCheckpoint.FindNewest(ck)!;
        Assert.Equal(2, saved.Step);
        return saved;
    }

    private static string[] Set(string[] args, params (int Index, string Value)[] changes)
    {
        foreach (var (i, v) in changes) args[i] = v;
        return args;
    }

    private static void AssertOneLine(CliResult r, params string[] contains)
    {
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrLines, l => l.StartsWith("ffn: error:", StringComparison.Ordinal));
        foreach (var c in contains) Assert.Contains(c, line);
        Assert.DoesNotContain(r.ErrLines, l => l.StartsWith("step ", StringComparison.Ordinal));
    }
}
