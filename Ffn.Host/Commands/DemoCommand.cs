using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Training;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn demo`: the real pipeline on the FIB-25 crop and Google's FIB-25 network shipped in samples/, through the same
/// command line a user types (`ffn run`, which writes the report). `--from-scratch`: FFN-PyTorch's whole workflow on a
/// synthetic volume (synth, partition, build-coordinates, stats, train, run, eval, report), scored against the same
/// pipeline with the untrained network. `--make-samples`
/// regenerates samples/ from ../shared.
/// </summary>
public static class DemoCommand
{
    public const string SampleImage = "samples/fib25/fib25_crop.h5", SampleModel = "samples/google-fib25/fib25.pkl";
    private const string Marker = ".ffn-demo";
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create(CommandContext ctx)
    {
        const string s = "demo";
        var output = Flags.Make<string>(ctx, s, "--output", "Directory for the demo's files (created; a directory an earlier demo made is reused)");
        var fromScratch = Flags.Make<bool>(ctx, s, "--from-scratch", "Synthetic volume: synth, partition, build-coordinates, train, run, eval, report");
        var makeSamples = Flags.Make<bool>(ctx, s, "--make-samples", "Regenerate samples/ (EM crop and converted checkpoint) from ../shared, then stop");
        var shared = Flags.Make<string>(ctx, s, "--shared", "--make-samples: the shared data folder (\"\" = ../shared beside the repository)");
        var corner = Flags.Make<string>(ctx, s, "--sample-corner", "--make-samples: corner z,y,x of the crop of fib25/training_sample1.h5");
        var size = Flags.Make<string>(ctx, s, "--sample-size", "--make-samples: size z,y,x of the crop");
        var blockShape = Flags.Make<string>(ctx, s, "--block-shape", "Block shape z,y,x of the run (0 = whole axis)");
        var overlap = Flags.Make<string>(ctx, s, "--overlap", "Overlap z,y,x of neighbouring blocks (merged with --merge overlap)");
        var workers = Flags.Make<int>(ctx, s, "--workers", "Inference workers");
        var threads = Flags.Make<int>(ctx, s, "--threads", "libtorch CPU threads each worker uses (workers x threads = cores)");
        var scratchShape = Flags.Make<string>(ctx, s, "--scratch-shape", "--from-scratch: shape z,y,x of the synthetic test volume");
        var scratchTrainShape = Flags.Make<string>(ctx, s, "--scratch-train-shape", "--from-scratch: shape z,y,x of the synthetic training volume");
        var scratchFov = Flags.Make<string>(ctx, s, "--scratch-fov", "--from-scratch: FoV z,y,x of the network trained");
        var scratchDeltas = Flags.Make<string>(ctx, s, "--scratch-deltas", "--from-scratch: FoV movement deltas z,y,x");
        var trainSteps = Flags.Make<long>(ctx, s, "--train-steps", "--from-scratch: training steps");
        var trainArgs = Flags.Make<string>(ctx, s, "--train-args", "--from-scratch: further `ffn train` flags (space-separated; they replace the demo's own values of the same flags)");
        var cmd = new Command("demo", "Run the real pipeline on the shipped FIB-25 sample and write report.html (--from-scratch: train one first)")
        {
            output, fromScratch, makeSamples, shared, corner, size, blockShape, overlap, workers, threads, scratchShape, scratchTrainShape, scratchFov,
            scratchDeltas, trainSteps, trainArgs,
        };
        cmd.SetAction(r =>
        {
            var root = FindRepository();
            if (r.GetValue(makeSamples))
                return MakeSamples(ctx, root, Path.GetFullPath(r.GetValue(shared) is { Length: > 0 } sh ? sh : Path.Combine(root, "..", "shared")),
                    Flags.ParseVec("--sample-corner", r.GetValue(corner), positive: false), Flags.ParseVec("--sample-size", r.GetValue(size)));
            // Every flag is checked before the output folder is touched.
            int nWorkers = r.GetValue(workers) >= 1 ? r.GetValue(workers) : throw new UsageException($"--workers must be >= 1, got {r.GetValue(workers)}");
            var run = new RunGeometry(Flags.ParseVec("--block-shape", r.GetValue(blockShape), positive: false), Flags.ParseVec("--overlap", r.GetValue(overlap), positive: false),
                nWorkers, Math.Max(1, r.GetValue(threads)));
            var scratch = r.GetValue(fromScratch) ? ParseScratch(r.GetValue(scratchShape), r.GetValue(scratchTrainShape), r.GetValue(scratchFov),
                r.GetValue(scratchDeltas), r.GetValue(trainSteps), r.GetValue(trainArgs)) : null;
            var outDir = PrepareOutput(r.GetValue(output)!);
            var clock = Stopwatch.StartNew();
            int code = scratch is not null ? FromScratch(ctx, outDir, run, scratch) : Sample(ctx, root, outDir, run);
            ctx.Out.WriteLine(string.Create(Ci, $"demo: {(code == FfnCli.Ok ? "finished" : "FAILED")} in {clock.Elapsed.TotalSeconds:F1} s"));
            if (code == FfnCli.Ok)
            {
                ctx.Out.WriteLine($"open {Path.Combine(outDir, "run", "report.html")}");
                ctx.Out.WriteLine($"3D and every slice in Neuroglancer: ffn view {Path.Combine(outDir, "run")}");
            }
            return code;
        });
        return cmd;
    }

    private sealed record RunGeometry(Vec3i Block, Vec3i Overlap, int Workers, int Threads);

    private sealed record Scratch(Vec3i TestShape, Vec3i TrainShape, Vec3i Fov, Vec3i Deltas, long Steps, string ExtraTrainArgs);

    private static Scratch ParseScratch(string? test, string? train, string? fovText, string? deltas, long steps, string? extra)
    {
        var fov = Flags.ParseVec("--scratch-fov", fovText);
        if (fov.Z % 2 == 0 || fov.Y % 2 == 0 || fov.X % 2 == 0)
            throw new UsageException($"--scratch-fov {fov}: each size must be odd (the FoV has a centre voxel)");
        if (steps < 1) throw new UsageException($"--train-steps must be >= 1, got {steps}");
        return new Scratch(Flags.ParseVec("--scratch-shape", test), Flags.ParseVec("--scratch-train-shape", train), fov,
            Flags.ParseVec("--scratch-deltas", deltas), steps, extra ?? "");
    }

    /// <summary>The folder holding FfnActors.sln above the program (or the current directory).</summary>
    public static string FindRepository()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "FfnActors.sln"))) return d.FullName;
        throw new UsageException($"ffn demo: cannot find the repository (a folder holding FfnActors.sln and samples/) above {AppContext.BaseDirectory} or the current directory; run it from a clone of the repository");
    }

    private static string PrepareOutput(string dir)
    {
        if (string.IsNullOrEmpty(dir)) throw new UsageException("--output: a directory is required");
        var full = Path.GetFullPath(dir);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(Path.Combine(full, Marker)))
            throw new UsageException($"--output {dir}: exists and was not made by ffn demo; give another directory");
        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, Marker), "made by ffn demo; its contents are replaced by the next demo\n");
        // A fresh run each time: a resumed one would only reuse the last demo's blocks.
        foreach (var sub in new[] { "run", "scratch" })
            if (Directory.Exists(Path.Combine(full, sub))) Directory.Delete(Path.Combine(full, sub), recursive: true);
        return full;
    }

    /// <summary>Runs a nested ffn command on this command's streams; a failure ends the demo with its exit code.</summary>
    private static int Ffn(CommandContext ctx, params string[] args)
    {
        ctx.Err.WriteLine("demo: ffn " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a)));
        return FfnCli.Run(args, ctx.Out, ctx.Err);
    }

    private static int Sample(CommandContext ctx, string root, string outDir, RunGeometry g)
    {
        var image = Path.Combine(root, SampleImage);
        var model = Path.Combine(root, SampleModel);
        foreach (var f in new[] { image, model, ModelConfigPath(model) })
            if (!File.Exists(f)) throw new UsageException($"ffn demo: the sample {f} is missing (regenerate with `ffn demo --make-samples`)");

        // The sample with one block blanked out, so the run shows FFN-PyTorch's empty-block skipping.
        var input = Path.Combine(outDir, "input.h5");
        using (var reader = VolumeStore.OpenRead(new VolumeSpec(image, "raw", VolumeFormat.Hdf5)))
        {
            var volume = reader.Read(reader.Info.Box).As<byte>();
            var fov = ModelCheckpoint.ReadConfig(model).FovSize;
            var blocks = BlockGrid.Tile(volume.Shape, g.Block, g.Overlap, Vec3i.Zero, fov);
            if (blocks.Count < 5) throw new UsageException($"--block-shape {g.Block}: gives {blocks.Count} blocks of the sample {volume.Shape}; the demo needs at least 5");
            var blank = blocks[^1].LabelBox;
            volume.Paste(new Volume<byte>(blank.Size, blank.Start));
            Hdf5VolumeWriter.WriteVolume(input, "raw", volume, new Vec3i(32, 64, 64), gzipLevel: 1);
            ctx.Err.WriteLine($"demo: {SampleImage} {volume.Shape} with block {blocks[^1].Name} ({blank}) set to zero -> {input}");
        }
        return Ffn(ctx, "run", "--input", input + ":raw", "--model", model, "--output", Path.Combine(outDir, "run"),
            "--block-shape", g.Block.ToString(), "--overlap", g.Overlap.ToString(), "--merge", "overlap",
            "--workers", g.Workers.ToString(Ci), "--threads", g.Threads.ToString(Ci), "--report", "true",
            // FIB-25 is 10 nm isotropic (samples/fib25/NOTES.md): the OME-Zarr scale and ffn view's; uniform, so seeds do not move.
            "--voxel-size", "10,10,10");
    }

    private static string ModelConfigPath(string pkl) => Path.ChangeExtension(pkl, ".json");

    private static int FromScratch(CommandContext ctx, string outDir, RunGeometry g, Scratch sc)
    {
        if (!FfnCli.Build(ctx).Subcommands.Any(c => c.Name == "train"))
            throw new UsageException("ffn demo --from-scratch: this build of ffn has no `ffn train` command");
        var dir = Path.Combine(outDir, "scratch");
        Directory.CreateDirectory(dir);
        string P(string f) => Path.Combine(dir, f);
        int code;
        // Training and test volumes come from different generator seeds: the scores are on a volume it never saw.
        if ((code = Ffn(ctx, "synth", P("train.h5"), "--shape", sc.TrainShape.ToString(), "--seed", "1")) != 0) return code;
        if ((code = Ffn(ctx, "synth", P("test.h5"), "--shape", sc.TestShape.ToString(), "--seed", "2")) != 0) return code;
        // Training examples span FoV + 2 deltas: coordinates keep that far from the faces, and the LOM matches it.
        var lom = (sc.Fov / 2 + sc.Deltas).ToString();
        if ((code = Ffn(ctx, "partition", "--input-volume", P("train.h5") + ":labels", "--output-volume", P("part.h5") + ":part",
                "--lom-radius", lom, "--min-size", "1000")) != 0) return code;
        if ((code = Ffn(ctx, "build-coordinates", "--partition-volumes", "train:" + P("part.h5") + ":part", "--coordinate-output", P("coords.npy"),
                "--margin", lom)) != 0) return code;
        var stats = new StringWriter();
        if ((code = FfnCli.Run(["stats", P("train.h5") + ":raw"], stats, ctx.Err)) != 0) return code;
        var flags = stats.ToString().Split('\n').First(l => l.StartsWith("flags:", StringComparison.Ordinal))["flags:".Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var extra = sc.ExtraTrainArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] Train(string checkpoints, long steps)
        {
            (string Flag, string Value)[] settings =
            [
                ("--train-coords", P("coords.npy")), ("--data-volumes", "train:" + P("train.h5") + ":raw"),
                ("--label-volumes", "train:" + P("train.h5") + ":labels"), ("--checkpoints", checkpoints),
                ("--depth", "4"), ("--features", "16"), ("--fov-size", sc.Fov.ToString()), ("--deltas", sc.Deltas.ToString()), ("--batch-size", "8"),
                ("--optimizer", "adam"), ("--learning-rate", "0.001"), ("--max-steps", steps.ToString(Ci)), ("--threads", (g.Workers * g.Threads).ToString(Ci)),
                ("--tensorboard", "false"), ("--log-every", "500"), ("--checkpoint-every-minutes", "0"),
                .. flags.Chunk(2).Select(f => (f[0], f[1])),
            ];
            // --train-args wins over the demo's own choice of the same flag (ffn train refuses a flag given twice).
            bool Overridden(string flag)
            {
                var alias = "--" + flag[2..].Replace('-', '_');
                return extra.Any(a => a == flag || a == alias || a.StartsWith(flag + "=", StringComparison.Ordinal) || a.StartsWith(alias + "=", StringComparison.Ordinal));
            }
            return ["train", .. settings.Where(x => !Overridden(x.Flag)).SelectMany(x => new[] { x.Flag, x.Value }), .. extra];
        }
        // The network exactly as training starts it: the baseline the trained one is scored against. Training comes
        // before any `ffn run` in this process, so its CPU kernels (checked for training) are the ones the runs keep.
        if ((code = Ffn(ctx, Train(P("untrained"), 0))) != 0) return code;
        if ((code = Ffn(ctx, Train(P("ck"), sc.Steps))) != 0) return code;

        var runs = new[] { (Name: "untrained", Checkpoints: P("untrained"), Dir: Path.Combine(dir, "run-untrained")), (Name: "trained", Checkpoints: P("ck"), Dir: Path.Combine(outDir, "run")) };
        var scores = new List<(string Name, long Step, JsonNode Eval)>();
        foreach (var (name, checkpoints, runDir) in runs)
        {
            var newest = TrainingCheckpoint.FindNewest(checkpoints) ?? throw new InvalidOperationException($"ffn train wrote no checkpoint into {checkpoints}");
            var model = newest.ModelPath;
            code = Ffn(ctx, "run", "--input", P("test.h5") + ":raw", "--model", model, "--output", runDir,
                "--block-shape", g.Block.ToString(), "--overlap", g.Overlap.ToString(), "--merge", "overlap",
                "--workers", g.Workers.ToString(Ci), "--threads", g.Threads.ToString(Ci), "--min-seg-size", "100", "--report", "false");
            if (code != 0) return code;
            var json = P($"eval-{name}.json");
            if ((code = Ffn(ctx, "eval", Path.Combine(runDir, "final_result.h5") + ":segmentation", P("test.h5") + ":labels", "--json", json)) != 0) return code;
            scores.Add((name, newest.Step, JsonNode.Parse(File.ReadAllText(json))!));
        }
        ctx.Out.WriteLine("demo: segmentation of an unseen synthetic volume, scored against its ground truth (ffn eval):");
        foreach (var (name, step, e) in scores)
            ctx.Out.WriteLine(string.Create(Ci, $"  {name + " network",-17} (step {step,5}): Rand F1 {1 - (double)e["adapted_rand_error"]!:F3}, VI {(double)e["vi"]!:F3} bits (split {(double)e["vi_split"]!:F3}, merge {(double)e["vi_merge"]!:F3}); {100 * (double)e["unlabelled_voxels"]! / (double)e["voxels"]!:F0}% of object voxels unlabelled"));
        double Vi(int k) => (double)scores[k].Eval["vi"]!;
        double F1(int k) => 1 - (double)scores[k].Eval["adapted_rand_error"]!;
        ctx.Out.WriteLine(Vi(1) < Vi(0) && F1(1) > F1(0)
            ? string.Create(Ci, $"demo: it learned: training lowered VI by {Vi(0) - Vi(1):F3} bits and raised Rand F1 by {F1(1) - F1(0):F3}")
            : "demo: WARNING: the trained network did not score better than the untrained one (train longer: --train-steps)");
        return Ffn(ctx, "report", runs[1].Dir, "--gt", P("test.h5") + ":labels");
    }

    /// <summary>Regenerates samples/: the FIB-25 crop (gzip HDF5) and Google's checkpoint in our format.</summary>
    private static int MakeSamples(CommandContext ctx, string root, string shared, Vec3i corner, Vec3i size)
    {
        var src = Path.Combine(shared, "data", "fib25", "training_sample1.h5");
        var ckpt = Path.Combine(shared, "data", "google-fib25", "model.ckpt-27465036");
        if (!File.Exists(src)) throw new UsageException($"--shared {shared}: {src} is missing");
        var imgDir = Path.Combine(root, "samples", "fib25");
        var modelDir = Path.Combine(root, "samples", "google-fib25");
        Directory.CreateDirectory(imgDir);
        Directory.CreateDirectory(modelDir);
        using (var reader = VolumeStore.OpenRead(new VolumeSpec(src, "raw", VolumeFormat.Hdf5)))
        {
            var box = new Box3(corner, size);
            if (!reader.Info.Box.Contains(box)) throw new UsageException($"--sample-corner/--sample-size {box}: outside {src} {reader.Info.Shape}");
            var crop = reader.Read(box);
            crop.Offset = Vec3i.Zero;
            var dst = Path.Combine(root, SampleImage);
            Hdf5VolumeWriter.WriteVolume(dst, "raw", crop, new Vec3i(32, 64, 64), gzipLevel: 9); // atomic: temp file, then rename
            ctx.Out.WriteLine($"wrote {dst}: {src}:raw [{corner}]+[{size}] ({new FileInfo(dst).Length} bytes)");
        }
        // Copied by content (the shared files are read-only; their mode must not follow them into the repository).
        foreach (var (from, to) in new[] { (Path.Combine("fib25", "LICENSE.txt"), Path.Combine(imgDir, "LICENSE.txt")), (Path.Combine("google-fib25", "LICENSE"), Path.Combine(modelDir, "LICENSE")) })
        {
            var bytes = File.ReadAllBytes(Path.Combine(shared, "data", from));
            AtomicFile.Write(to, st => st.Write(bytes));
        }
        return Ffn(ctx, "model", "import", ckpt, "--out", modelDir, "--name", Path.GetFileNameWithoutExtension(SampleModel));
    }
}
