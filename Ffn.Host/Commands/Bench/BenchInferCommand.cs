using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench infer`: network evaluations/s and voxels/s of a whole subvolume inference (PolicyPeaks + Canvas), next
/// to the time the network alone needs for the same number of FoV steps; the difference is the canvas overhead.
/// </summary>
public static class BenchInferCommand
{
    public static Command Create(CommandContext ctx)
    {
        var sub = new SubvolumeBenchFlags(ctx, "bench.infer");
        var torchFlags = new TorchFlags(ctx);
        var precision = new PrecisionFlags(ctx);
        var cmd = new Command("infer", "Time subvolume inference and the share of it spent outside the network");
        foreach (var o in sub.All) cmd.Options.Add(o);
        torchFlags.AddTo(cmd);
        precision.AddTo(cmd);
        cmd.SetAction((r, cancel) =>
        {
            var imgText = sub.ImagePath(r);
            var modelPath = sub.ModelPath(r);
            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            var forward = precision.Resolve(r, torchFlags);
            var net = ModelCheckpoint.Load(modelPath);
            var cfg = net.Config;
            var box = sub.Box(r);
            using var predictor = new NetworkFovPredictor(net, dev, forward);
            var outDir = Directory.CreateTempSubdirectory("ffn-bench-infer-").FullName;
            try
            {
                var req = sub.Request(r, cfg, outDir, sub.BatchCanvases(r, TorchRuntime.Name(dev), ctx.Progress));
                var clock = Stopwatch.StartNew();
                var result = SubvolumeRunner.Run(req, predictor, msg => ctx.Progress.Report(msg), cancel);
                double total = clock.Elapsed.TotalSeconds;
                long evals = result.Counters[Counters.NetworkEvaluations];
                double predict = result.Counters[Counters.PredictMs] / 1000.0;
                double seedPolicy = result.Counters[Counters.SeedPolicyMs] / 1000.0;

                // The bare network on the same number of FoVs, for comparison (no canvas, no copies).
                using var timer = new ForwardTimer(ModelCheckpoint.Load(modelPath), dev, forward);
                timer.Time(1, 1);
                var bare = timer.Time(1, Math.Max(3, (int)Math.Min(evals, 20)));
                double bareMs = Median(bare);
                var ci = CultureInfo.InvariantCulture;
                ctx.Out.WriteLine(string.Create(ci, $"subvolume {box} of {imgText}, batch-canvases {req.Settings.BatchCanvases}, {forward}: {result.Objects} objects, {result.Counters[Counters.VoxelsSegmented]} voxels segmented"));
                ctx.Out.WriteLine(string.Create(ci, $"total {total:F1} s: {evals} network evaluations ({evals / total:F2}/s, {total / Math.Max(evals, 1) * 1000:F0} ms per FoV step), {box.Volume / total:F0} voxels/s"));
                ctx.Out.WriteLine(string.Create(ci, $"network calls {predict:F1} s ({100 * predict / total:F1}%), seed policy {seedPolicy:F2} s, other canvas work {total - predict - seedPolicy:F1} s"));
                ctx.Out.WriteLine(string.Create(ci, $"bare forward (median of {bare.Length}): {bareMs:F0} ms per FoV; outside the bare network: {100 * (1 - evals * bareMs / 1000 / total):F1}% of the total"));
            }
            finally
            {
                Directory.Delete(outDir, recursive: true);
            }
            return Task.FromResult(FfnCli.Ok);
        });
        return cmd;
    }
}
