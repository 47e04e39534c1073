using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using Ffn.Actors;
using Ffn.Actors.Cluster;
using Ffn.Actors.Messages;
using Ffn.Actors.Workers;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn run`: FFN-PyTorch's inference.sh in one process — tile, skip empty blocks, segment every block with a pool
/// of workers, stitch with unique ids and an optional boundary merge. The flags become one <see cref="RunPlan"/>,
/// run here (<see cref="LocalRun"/>) or on a cluster. Exit code 3 = finished with failed blocks.
/// </summary>
public static class RunCommand
{
    public const int Incomplete = 3;

    public static Command Create(CommandContext ctx)
    {
        const string s = "run";
        var inputArg = new Argument<string?>("INPUT") { Description = "Input volume PATH.h5[:dataset] (same as --input; FFN-PyTorch's form)", Arity = ArgumentArity.ZeroOrOne };
        var outputArg = new Argument<string?>("OUTDIR") { Description = "Run directory (same as --output)", Arity = ArgumentArity.ZeroOrOne };
        var input = Flags.Make<string>(ctx, s, "--input", "Input volume PATH.h5:dataset (dataset 'raw' if omitted), or .npy, .npz:key, .tif, PATH.zarr[:array]");
        var model = Flags.Make<string>(ctx, s, "--model", "Checkpoint (ours, FFN-PyTorch .pkl or Google TF) with its JSON sidecar");
        var output = Flags.Make<string>(ctx, s, "--output", "Run directory: blocks/, final_result.tif, final_result.h5, summary.json");
        var blockShape = Flags.Make<string>(ctx, s, "--block-shape", "Block (core) shape z,y,x; 0 = the whole axis (FFN-PyTorch: 0,512,512)");
        var overlap = Flags.Make<string>(ctx, s, "--overlap", "Voxels z,y,x that neighbouring blocks share (needed by --merge overlap)");
        var context = Flags.Make<string>(ctx, s, "--context", "Image margin z,y,x read around each block (\"\" = FoV radius + deltas)");
        var merge = Flags.Make<string>(ctx, s, "--merge", "Boundary merge: none, faces (FFN-PyTorch's rule) or overlap");
        var minRun = Flags.Make<int>(ctx, s, "--min-consecutive-pixels", "faces: run of voxels needed on both sides of a face", "--min_consecutive_pixels");
        var minOverlap = Flags.Make<long>(ctx, s, "--min-overlap-voxels", "overlap: shared voxels needed to merge two objects");
        var minIou = Flags.Make<double>(ctx, s, "--min-iou", "overlap: intersection over union (within the shared region) needed to merge");
        var normalize = Flags.Make<string>(ctx, s, "--normalize", "fixed (the model's mean/stddev) or per-block (FFN-PyTorch's int(mean), int(std) per block)");
        var mask = Flags.Make<string>(ctx, s, "--mask", "Mask volume PATH.h5:dataset; blocks whose mask is all zero are skipped (\"\" = none)");
        var force = Flags.Make<bool>(ctx, s, "--force", "Replace the results of a different run in the output directory");
        var seedInContext = Flags.Make<bool>(ctx, s, "--seed-in-context", "Also seed in each block's context margin (slower; by default only the block's own box is seeded)");
        var report = Flags.Make<bool>(ctx, s, "--report", "Write RUN_DIR/report.html (ffn report) at the end of the run");
        var outputs = Flags.Make<string>(ctx, s, "--outputs", "What to write besides the blocks: any of h5, tif, zarr (final_result.h5/.tif/.zarr; zarr = OME-Zarr with the EM)");
        var zarrChunks = Flags.Make<string>(ctx, s, "--zarr-chunks", "Chunk shape z,y,x of final_result.zarr's arrays");
        var roi = Flags.Make<string>(ctx, s, "--roi", "Segment only Z0:Z1,Y0:Y1,X0:X1 of the input (half-open; an empty bound is the edge): blocks read their context beyond it, outputs cover it");
        var zarrCompressor = Flags.Make<string>(ctx, s, "--zarr-compressor", "Compressor of final_result.zarr's chunks: zstd[:LEVEL], gzip[:LEVEL], zlib[:LEVEL] or none");
        var inf = new InferenceFlags(ctx);
        var pipeline = new PipelineFlags(ctx, s, coordinator: true, requestInterval: false);
        var cluster = new ClusterFlags(ctx, "run");
        var torch = new TorchFlags(ctx);
        var precision = new PrecisionFlags(ctx);
        var cmd = new Command("run", "Segment a whole volume block by block with a pool of workers, then stitch (FFN-PyTorch's inference.sh)")
        {
            inputArg, outputArg, input, model, output, blockShape, overlap, context, merge, minRun, minOverlap, minIou, normalize, mask, force,
            seedInContext, report, outputs, zarrChunks, zarrCompressor, roi,
        };
        foreach (var o in inf.All.Concat(pipeline.All).Concat(torch.All).Concat(precision.All).Concat(cluster.All)) cmd.Options.Add(o);
        cmd.SetAction(async (r, outer) =>
        {
            using var signals = new TerminationSignals(outer);
            // A bad device fails here, before any work starts; "auto" becomes the device it picked.
            var device = TorchRuntime.Name(torch.Prepare(r, KernelPurpose.Inference));
            var workers = pipeline.WorkerPool(r, device);
            TorchRuntime.RequireDevices(workers.Devices, "--devices");
            // --batch-canvases auto is timed on this run's GPU (a local run's first CUDA worker; on a cluster, this --device).
            var calibrateOn = cluster.Enabled(r) ? device : workers.Devices.FirstOrDefault(d => d.StartsWith("cuda", StringComparison.Ordinal)) ?? device;
            var plan = Plan(ctx, r, workers, calibrateOn);
            var coordinatorSettings = pipeline.Coordinator(r);
            var clusterSetup = cluster.Enabled(r) ? cluster.Setup(ctx, r, [ClusterRoles.Submitter]) : null;
            var forward = precision.Resolve(r, torch);
            var spec = new RunSpec(plan, coordinatorSettings);
            var resubmitEvery = TimeSpan.FromSeconds(Math.Max(0.5, r.GetValue(cluster.Resubmit)));
            var member = clusterSetup is null ? null : ActorSystem.Create("ffn", clusterSetup);
            try
            {
                var proxy = member is null ? null : ClusterNode.Proxy(member);
                // The coordinator says whether its data roots hold these files before this process writes anything.
                if (proxy != null && await ClusterNode.CheckAsync(proxy, spec, resubmitEvery, signals.Token) is { } refused)
                    throw new UsageException(refused.Error);

                OutputDirectory.Ensure("--output", plan.RunDir);
                using var runLock = RunDirectoryLock.TryAcquire(plan.RunDir, out var busy)
                    ?? throw new UsageException($"--output {plan.RunDir}: {busy}; wait for it to end or stop it");
                if (runLock.RemovedTemporaries.Count > 0)
                    ctx.Progress.Report($"removed {runLock.RemovedTemporaries.Count} temporary file(s) left by an interrupted run");
                PrepareRunDir(plan, r.GetValue(force));
                plan.Manifest.Save(plan.RunDir);

                ctx.Progress.Report(string.Create(CultureInfo.InvariantCulture,
                    $"run {plan.RunId}: {plan.Segmentation.Image} {plan.VolumeShape}{(plan.IsPartial ? $", region {RegionOfInterest.Format(plan.Region)}" : "")} in {plan.Blocks.Count} block(s) of {plan.BlockShape} (overlap {plan.Overlap}, " +
                    $"context {plan.Context}), {(member != null ? "on the cluster" : $"{workers.Workers} worker(s) on {string.Join(",", workers.Devices.Distinct())}")}, merge {plan.Merge.Mode.ToString().ToLowerInvariant()}"));
                IFfnMessage verdict;
                if (proxy != null)
                {
                    // From here on the cluster's coordinator writes in the run directory, and holds its lock (RunManager).
                    runLock.Dispose();
                    verdict = await ClusterNode.SubmitAsync(member!, proxy, spec, resubmitEvery, ctx.Progress.Report, signals.Token);
                }
                else
                {
                    var system = ActorSystem.Create("ffn", ctx.Config.Raw);
                    try
                    {
                        verdict = await LocalRun.RunAsync(system, spec, SegmentationBlockProcessor.For(forward), workers, ctx.Progress.Report, signals.Token);
                    }
                    finally
                    {
                        await system.Terminate();
                    }
                }
                return Verdict(ctx, verdict, r.GetValue(report), plan.RunDir);
            }
            finally
            {
                if (member != null) await CoordinatedShutdown.Get(member).Run(CoordinatedShutdown.ClrExitReason.Instance);
            }
        });
        return cmd;

        // Every flag, file and the network are checked here, before the run directory is touched.
        RunPlan Plan(CommandContext ctx, ParseResult r, WorkerPoolSettings workers, string calibrateOn)
        {
            var inText = r.GetValue(inputArg) ?? (r.GetValue(input) is { Length: > 0 } i ? i : throw new UsageException("--input: an input volume PATH.h5:dataset is required"));
            var outDir = r.GetValue(outputArg) ?? (r.GetValue(output) is { Length: > 0 } o ? o : throw new UsageException("--output: a run directory is required"));
            var modelPath = Flags.Required(r, model, "a checkpoint");
            var mode = Flags.Choice("--merge", r.GetValue(merge), [("none", MergeMode.None), ("faces", MergeMode.Faces), ("overlap", MergeMode.Overlap)]);
            bool perBlock = Flags.Choice("--normalize", r.GetValue(normalize), [("fixed", false), ("per-block", true)]);
            var spec = VolumeSpec.Parse(inText, "raw");
            var cfg = ModelCheckpoint.ReadConfig(modelPath);
            var settings = inf.Settings(r, cfg, spec, modelPath, autoNormalize: perBlock, keepProbability: false, calibrateOn, ctx.Progress) with { SeedInContext = r.GetValue(seedInContext) };
            var ctxText = r.GetValue(context);
            return RunPlan.Build(settings, cfg, outDir,
                Flags.ParseVec("--block-shape", r.GetValue(blockShape), positive: false),
                Flags.ParseVec("--overlap", r.GetValue(overlap), positive: false),
                string.IsNullOrEmpty(ctxText) ? null : Flags.ParseVec("--context", ctxText, positive: false),
                r.GetValue(mask) is { Length: > 0 } mk ? VolumeSpec.Parse(mk) : null,
                new MergeOptions(mode, r.GetValue(minRun), r.GetValue(minOverlap), r.GetValue(minIou)),
                workers.Workers, string.Join(",", workers.Devices.Distinct()), ctx.Progress,
                RunOutputs.Parse(r.GetValue(outputs) ?? "") with
                {
                    ZarrChunks = Flags.ParseVec("--zarr-chunks", r.GetValue(zarrChunks)),
                    ZarrCompressor = r.GetValue(zarrCompressor) ?? "zstd",
                }, r.GetValue(roi));
        }
    }

    private static int Verdict(CommandContext ctx, IFfnMessage verdict, bool report, string runDir)
    {
        switch (verdict)
        {
            case RunCompleted done:
                var s = done.Summary;
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(done.Complete ? "complete" : "INCOMPLETE")}: {s.BlocksDone} done, {s.BlocksReused} reused, " +
                    $"{s.BlocksEmpty} empty, {s.BlocksFailed} failed of {s.BlocksTotal} blocks in {s.Seconds} s; summary {done.SummaryPath}"));
                if (s.Stitch is { } st) ctx.Out.WriteLine("stitch: " + RunSummary.StitchJson(st).ToJsonString());
                if (report) ReportCommand.AfterRun(ctx, runDir);
                return done.Complete ? FfnCli.Ok : Incomplete;
            case RunAborted aborted:
                ctx.Err.WriteLine($"ffn: error: run aborted: {aborted.Error}");
                return FfnCli.RuntimeError;
            case RunRefused refused:
                throw new UsageException(refused.Error);
            default:
                throw new InvalidOperationException($"unexpected verdict {verdict}");
        }
    }

    /// <summary>Checks that the run in the (locked) run directory is this one (same input, model, geometry).</summary>
    private static void PrepareRunDir(RunPlan plan, bool force)
    {
        var store = plan.Store;
        var old = RunManifest.Load(plan.RunDir);
        bool hasResults = Directory.Exists(store.BlocksDir) && Directory.EnumerateFileSystemEntries(store.BlocksDir).Any();
        string? difference = old == null ? (hasResults ? "it holds block results without a run.json" : null) : plan.Manifest.FirstDifference(old);
        if (difference != null)
        {
            if (!force) throw new UsageException($"--output {plan.RunDir}: holds a different run ({difference}); use another directory or --force to replace it");
            if (Directory.Exists(store.BlocksDir)) Directory.Delete(store.BlocksDir, recursive: true);
            foreach (var f in new[] { plan.H5Path, plan.TiffPath, Path.Combine(plan.RunDir, RunSummary.FileName), Path.Combine(plan.RunDir, RunManifest.FileName) })
                AtomicFile.TryDelete(f);
            if (Directory.Exists(plan.ZarrPath)) Directory.Delete(plan.ZarrPath, recursive: true);
        }
        Directory.CreateDirectory(store.BlocksDir);
    }
}
