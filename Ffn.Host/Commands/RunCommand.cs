using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Ffn.Actors;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Messages;
using Ffn.Actors.Cluster;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Checkpoints;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn run`: the seed's inference.sh in one process — tile, skip empty blocks, segment every block with a pool
/// of workers, stitch with unique ids and an optional boundary merge. Exit code 3 = finished with failed blocks.
/// </summary>
public static class RunCommand
{
    public const int Incomplete = 3;

    public static Command Create(CommandContext ctx)
    {
        const string s = "run";
        var inputArg = new Argument<string?>("INPUT") { Description = "Input volume PATH.h5[:dataset] (same as --input; the seed's form)", Arity = ArgumentArity.ZeroOrOne };
        var outputArg = new Argument<string?>("OUTDIR") { Description = "Run directory (same as --output)", Arity = ArgumentArity.ZeroOrOne };
        var input = Flags.Make<string>(ctx, s, "--input", "Input volume PATH.h5:dataset (dataset 'raw' if omitted)");
        var model = Flags.Make<string>(ctx, s, "--model", "Checkpoint (ours, FFN-PyTorch .pkl or Google TF) with its JSON sidecar");
        var output = Flags.Make<string>(ctx, s, "--output", "Run directory: blocks/, final_result.tif, final_result.h5, summary.json");
        var blockShape = Flags.Make<string>(ctx, s, "--block-shape", "Block (core) shape z,y,x; 0 = the whole axis (the seed: 0,512,512)");
        var overlap = Flags.Make<string>(ctx, s, "--overlap", "Voxels z,y,x that neighbouring blocks share (needed by --merge overlap)");
        var context = Flags.Make<string>(ctx, s, "--context", "Image margin z,y,x read around each block (\"\" = FoV radius + deltas)");
        var workers = Flags.Make<int>(ctx, s, "--workers", "Inference workers (one per device; on CPU each uses --threads)");
        var merge = Flags.Make<string>(ctx, s, "--merge", "Boundary merge: none, faces (the seed's rule) or overlap");
        var minRun = Flags.Make<int>(ctx, s, "--min-consecutive-pixels", "faces: run of voxels needed on both sides of a face", "--min_consecutive_pixels");
        var minOverlap = Flags.Make<long>(ctx, s, "--min-overlap-voxels", "overlap: shared voxels needed to merge two objects");
        var minIou = Flags.Make<double>(ctx, s, "--min-iou", "overlap: intersection over union (within the shared region) needed to merge");
        var maxAttempts = Flags.Make<int>(ctx, s, "--max-attempts", "Attempts per block before it is reported as failed");
        var backoff = Flags.Make<double>(ctx, s, "--retry-backoff", "Seconds before the first retry of a failed block (doubles per attempt, at most 60)");
        var deadline = Flags.Make<double>(ctx, s, "--block-deadline", "Seconds after which a running block is abandoned and its worker replaced (0 = none)");
        var progressEvery = Flags.Make<double>(ctx, s, "--progress-interval", "Seconds between progress lines");
        var normalize = Flags.Make<string>(ctx, s, "--normalize", "fixed (the model's mean/stddev) or per-block (the seed's int(mean), int(std) per block)");
        var mask = Flags.Make<string>(ctx, s, "--mask", "Mask volume PATH.h5:dataset; blocks whose mask is all zero are skipped (\"\" = none)");
        var force = Flags.Make<bool>(ctx, s, "--force", "Replace the results of a different run in the output directory");
        var seedInContext = Flags.Make<bool>(ctx, s, "--seed-in-context", "Also seed in each block's context margin (slower; by default only the block's own box is seeded)");
        var report = Flags.Make<bool>(ctx, s, "--report", "Write RUN_DIR/report.html (ffn report) at the end of the run");
        var inf = new InferenceFlags(ctx);
        var cluster = new ClusterFlags(ctx, "run");
        var device = Flags.Make<string>(ctx, "model", "--device", "auto (CUDA if available), cpu, cuda or cuda:N");
        var threads = Flags.Make<int>(ctx, "model", "--threads", "CPU threads for libtorch (0 = one per core)");
        var cmd = new Command("run", "Segment a whole volume block by block with a pool of workers, then stitch (the seed's inference.sh)")
        {
            inputArg, outputArg, input, model, output, blockShape, overlap, context, workers, merge, minRun, minOverlap, minIou,
            maxAttempts, backoff, deadline, progressEvery, normalize, mask, force, seedInContext, report, device, threads,
        };
        foreach (var o in inf.All) cmd.Options.Add(o);
        var kernels = new KernelFlags(ctx);
        foreach (var o in kernels.All) cmd.Options.Add(o);
        foreach (var o in cluster.All) cmd.Options.Add(o);
        cmd.SetAction(async (r, outer) =>
        {
            using var signals = new TerminationSignals(outer);
            var cancel = signals.Token;
            var inText = r.GetValue(inputArg) ?? (r.GetValue(input) is { Length: > 0 } i ? i : throw new UsageException("--input: an input volume PATH.h5:dataset is required"));
            var outDir = r.GetValue(outputArg) ?? (r.GetValue(output) is { Length: > 0 } o ? o : throw new UsageException("--output: a run directory is required"));
            var modelPath = r.GetValue(model) is { Length: > 0 } m ? m : throw new UsageException("--model: a checkpoint is required");
            var clusterConfig = cluster.Enabled(r) ? cluster.Config(ctx, r, [ClusterRoles.Submitter]) : null;
            var spec = VolumeSpec.Parse(inText, "raw");
            Vec3i shape;
            using (var reader = VolumeStore.OpenRead(spec)) shape = reader.Info.Shape;

            ModelConfig cfg;
            // Disposed here: left to the finalizer thread, the network's tensors could be freed while the process exits.
            using (var net = ModelCheckpoint.Load(modelPath)) cfg = net.Config;
            var fov = cfg.FovSize;
            var block = Flags.ParseVec("--block-shape", r.GetValue(blockShape), positive: false);
            var effBlock = new Vec3i(block.Z <= 0 ? shape.Z : Math.Min(block.Z, shape.Z), block.Y <= 0 ? shape.Y : Math.Min(block.Y, shape.Y), block.X <= 0 ? shape.X : Math.Min(block.X, shape.X));
            if (block.Z < 0 || block.Y < 0 || block.X < 0) throw new UsageException($"--block-shape {block}: must not be negative");
            for (int a = 0; a < 3; a++)
                if (effBlock[a] < fov[a] && effBlock[a] < shape[a])
                    throw new UsageException($"--block-shape {block}: smaller than the model's FoV {fov}");
            var ov = Flags.ParseVec("--overlap", r.GetValue(overlap), positive: false);
            for (int a = 0; a < 3; a++)
            {
                if (ov[a] < 0) throw new UsageException($"--overlap {ov}: must not be negative");
                if (ov[a] >= effBlock[a] && effBlock[a] < shape[a]) throw new UsageException($"--overlap {ov}: must be smaller than the block shape {effBlock}");
            }
            var ctxText = r.GetValue(context);
            var margin = string.IsNullOrEmpty(ctxText) ? fov / 2 + cfg.Deltas : Flags.ParseVec("--context", ctxText, positive: false);
            for (int a = 0; a < 3; a++)
                if (shape[a] < fov[a]) throw new UsageException($"{spec}: volume of shape {shape} is smaller than the model's FoV {fov}");
            var mode = r.GetValue(merge)?.ToLowerInvariant() switch
            {
                "none" => MergeMode.None,
                "faces" => MergeMode.Faces,
                "overlap" => MergeMode.Overlap,
                var x => throw new UsageException($"--merge {x}: expected none, faces or overlap"),
            };
            if (mode == MergeMode.Overlap && ov == Vec3i.Zero)
                throw new UsageException("--merge overlap: needs blocks that overlap; give --overlap z,y,x");
            int nWorkers = r.GetValue(workers) >= 1 ? r.GetValue(workers) : throw new UsageException($"--workers must be >= 1, got {r.GetValue(workers)}");
            int attempts = r.GetValue(maxAttempts) >= 1 ? r.GetValue(maxAttempts) : throw new UsageException($"--max-attempts must be >= 1, got {r.GetValue(maxAttempts)}");
            bool perBlock = r.GetValue(normalize)?.ToLowerInvariant() switch
            {
                "fixed" => false,
                "per-block" => true,
                var x => throw new UsageException($"--normalize {x}: expected fixed or per-block"),
            };
            VolumeSpec? maskSpec = r.GetValue(mask) is { Length: > 0 } mk ? VolumeSpec.Parse(mk) : null;
            if (maskSpec != null) maskSpec = maskSpec with { Path = Path.GetFullPath(maskSpec.Path) };
            if (maskSpec != null)
            {
                using var mr = VolumeStore.OpenRead(maskSpec);
                if (mr.Info.Shape != shape) throw new UsageException($"--mask {maskSpec}: shape {mr.Info.Shape} differs from the input's {shape}");
            }
            var voxel = Flags.ParseVec("--voxel-size", r.GetValue(inf.VoxelSize));
            var settings = new SegmentationSettings
            {
                Image = spec with { Path = Path.GetFullPath(spec.Path) },
                ModelPath = Path.GetFullPath(modelPath),
                Deltas = cfg.Deltas,
                ImageMean = r.GetValue(inf.Mean) ?? cfg.ImageMean,
                ImageStddev = r.GetValue(inf.Std) ?? cfg.ImageStddev,
                PerBlockNormalization = perBlock,
                Options = inf.Options(r, cfg, keepProbability: false),
                SeedPolicy = inf.PolicyName(r),
                VoxelSize = voxel,
                BatchCanvases = inf.BatchCanvases(r),
                CheckpointInterval = r.GetValue(inf.CkpInterval),
                SeedInContext = r.GetValue(seedInContext),
            };
            // The non-finite rule, up front rather than as failed blocks: one NaN or Inf would empty every block that reads it.
            if (!perBlock) ImageNormalization.Validate(settings.ImageMean, settings.ImageStddev);
            using (var reader = VolumeStore.OpenRead(spec)) NonFiniteVoxels.Require(reader, ctx.Progress);
            var dev = r.GetValue(device)!;
            kernels.Prepare(r);
            TorchRuntime.ParseDevice(dev); // fail on a bad device before any work starts
            TorchRuntime.SetThreads(r.GetValue(threads));

            var blocks = BlockGrid.Tile(shape, block, ov, margin, fov);
            var manifest = RunManifest.For(settings, shape, effBlock, ov, margin, maskSpec?.ToString());
            OutputDirectory.Ensure("--output", outDir);
            using var runLock = RunDirectoryLock.TryAcquire(outDir, out var busy)
                ?? throw new UsageException($"--output {outDir}: {busy}; wait for it to end or stop it");
            if (runLock.RemovedTemporaries.Count > 0)
                ctx.Progress.Report($"removed {runLock.RemovedTemporaries.Count} temporary file(s) left by an interrupted run");
            PrepareRunDir(outDir, manifest, r.GetValue(force));
            manifest.Save(outDir);

            var mergeOptions = new MergeOptions(mode, r.GetValue(minRun), r.GetValue(minOverlap), r.GetValue(minIou));
            var runSettings = new JsonObject();
            foreach (var (k, v) in manifest.Fields) runSettings[k] = v;
            runSettings["workers"] = nWorkers;
            runSettings["merge"] = mode.ToString().ToLowerInvariant();
            runSettings["min_consecutive_pixels"] = mergeOptions.MinConsecutiveVoxels;
            runSettings["min_overlap_voxels"] = mergeOptions.MinOverlapVoxels;
            runSettings["min_iou"] = mergeOptions.MinIou;
            runSettings["device"] = dev;

            var runSpec = new RunSpec(Guid.NewGuid().ToString("N")[..8], Path.GetFullPath(outDir), shape, effBlock, ov, margin, fov, maskSpec, settings,
                mergeOptions, new CoordinatorSettings
                {
                    MaxAttempts = attempts,
                    RetryBackoff = TimeSpan.FromSeconds(Math.Max(0, r.GetValue(backoff))),
                    BlockDeadline = TimeSpan.FromSeconds(Math.Max(0, r.GetValue(deadline))),
                    ProgressInterval = TimeSpan.FromSeconds(Math.Max(0.1, r.GetValue(progressEvery))),
                }, runSettings.ToJsonString());
            var progress = ctx.Progress;
            var ci = CultureInfo.InvariantCulture;
            int blockCount = BlockGrid.Tile(shape, block, ov, margin, fov).Count;
            progress.Report(string.Create(ci, $"run {runSpec.RunId}: {spec} {shape} in {blockCount} block(s) of {effBlock} (overlap {ov}, context {margin}), " +
                $"{(cluster.Enabled(r) ? "on the cluster" : $"{nWorkers} worker(s)")}, merge {mode.ToString().ToLowerInvariant()}"));
            IFfnMessage verdict;
            if (clusterConfig != null)
            {
                // From here on the cluster's coordinator writes in the run directory, and holds its lock (RunManager).
                runLock.Dispose();
                var system = ActorSystem.Create("ffn", clusterConfig!);
                try
                {
                    var proxy = ClusterNode.Proxy(system);
                    verdict = await ClusterNode.SubmitAsync(system, proxy, runSpec, TimeSpan.FromSeconds(Math.Max(0.5, r.GetValue(cluster.Resubmit))),
                        progress.Report, cancel);
                }
                finally
                {
                    await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
                }
            }
            else
            {
                var request = RunRequest.From(runSpec, job => new SegmentationBlockProcessor(job.Settings!, new BlockResultStore(job.RunDir), dev), nWorkers,
                    progress.Report);
                var system = ActorSystem.Create("ffn", ctx.Config.Raw);
                try
                {
                    verdict = await LocalRun.RunAsync(system, request, cancel);
                }
                finally
                {
                    await system.Terminate();
                }
            }
            switch (verdict)
            {
                case RunCompleted done:
                    var sum = JsonNode.Parse(done.Summary)!;
                    ctx.Out.WriteLine(string.Create(ci, $"{(done.Complete ? "complete" : "INCOMPLETE")}: {sum["blocks_done"]} done, {sum["blocks_reused"]} reused, " +
                        $"{sum["blocks_empty"]} empty, {sum["blocks_failed"]} failed of {sum["blocks_total"]} blocks in {sum["seconds"]} s; summary {done.SummaryPath}"));
                    if (sum["stitch"] is JsonObject st) ctx.Out.WriteLine("stitch: " + st.ToJsonString());
                    if (r.GetValue(report)) ReportCommand.AfterRun(ctx, outDir);
                    return done.Complete ? FfnCli.Ok : Incomplete;
                case RunAborted aborted:
                    ctx.Err.WriteLine($"ffn: error: run aborted: {aborted.Error}");
                    return FfnCli.RuntimeError;
                default:
                    throw new InvalidOperationException($"unexpected verdict {verdict}");
            }
        });
        return cmd;
    }

    /// <summary>Checks that the run in the (locked) run directory is this one (same input, model, geometry).</summary>
    private static void PrepareRunDir(string outDir, RunManifest manifest, bool force)
    {
        var store = new BlockResultStore(outDir);
        var old = RunManifest.Load(outDir);
        bool hasResults = Directory.Exists(store.BlocksDir) && Directory.EnumerateFileSystemEntries(store.BlocksDir).Any();
        string? difference = old == null ? (hasResults ? "it holds block results without a run.json" : null) : manifest.FirstDifference(old);
        if (difference != null)
        {
            if (!force) throw new UsageException($"--output {outDir}: holds a different run ({difference}); use another directory or --force to replace it");
            if (Directory.Exists(store.BlocksDir)) Directory.Delete(store.BlocksDir, recursive: true);
            foreach (var f in new[] { "final_result.h5", "final_result.tif", RunSummary.FileName, RunManifest.FileName })
                AtomicFile.TryDelete(Path.Combine(outDir, f));
        }
        Directory.CreateDirectory(store.BlocksDir);
    }
}
