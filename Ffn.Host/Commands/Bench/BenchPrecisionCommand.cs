using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Checkpoints;
using Ffn.Model.Evaluation;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench precision`: the quality gate of bf16 inference. Segments one subvolume twice, fp32 then bf16 (same
/// layout, seeds and settings), and reports each run's time and network evaluations, the variation of information
/// between the two segmentations, each scored against the other's objects, and where their FoV traces part.
/// </summary>
public static class BenchPrecisionCommand
{
    public static Command Create(CommandContext ctx)
    {
        var sub = new SubvolumeBenchFlags(ctx, "bench.precision");
        var torchFlags = new TorchFlags(ctx);
        var precision = new PrecisionFlags(ctx);
        var cmd = new Command("precision", "Segment a subvolume in fp32 and in bf16 and compare the two (quality gate for --precision)");
        foreach (var o in sub.All) cmd.Options.Add(o);
        torchFlags.AddTo(cmd);
        precision.AddTo(cmd);
        cmd.SetAction((r, cancel) =>
        {
            var imgText = sub.ImagePath(r);
            var modelPath = sub.ModelPath(r);
            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            var layout = precision.Resolve(r, torchFlags);
            var box = sub.Box(r);
            int batchCanvases = sub.BatchCanvases(r, TorchRuntime.Name(dev), ctx.Progress);
            var ci = CultureInfo.InvariantCulture;
            var runs = new List<(ForwardSettings Settings, Canvas Canvas, double Seconds)>();
            foreach (var p in new[] { Precision.Fp32, Precision.Bf16 })
            {
                var net = ModelCheckpoint.Load(modelPath);
                var settings = layout with { Precision = p };
                using var predictor = new NetworkFovPredictor(net, dev, settings);
                var outDir = Directory.CreateTempSubdirectory("ffn-bench-precision-").FullName;
                try
                {
                    var req = sub.Request(r, net.Config, outDir, batchCanvases);
                    var clock = Stopwatch.StartNew();
                    Canvas? done = null;
                    SubvolumeRunner.Run(req, predictor, msg => ctx.Progress.Report($"{p.Name()}: {msg}"), cancel, inspect: c => done = c);
                    runs.Add((settings, done!, clock.Elapsed.TotalSeconds));
                }
                finally
                {
                    Directory.Delete(outDir, recursive: true);
                }
            }

            ctx.Out.WriteLine($"subvolume {box} of {imgText}, model {modelPath}, batch-canvases {batchCanvases}, device {dev}");
            ctx.Out.WriteLine("precision  seconds  evaluations  evaluations/s  objects  voxels segmented");
            foreach (var (settings, canvas, secs) in runs)
            {
                long evals = canvas.Counters[Counters.NetworkEvaluations];
                ctx.Out.WriteLine(string.Create(ci, $"{ForwardVariant.Name(settings),-9}  {secs,7:F1}  {evals,11}  {evals / secs,13:F3}  {canvas.Origins.Count,7}  {canvas.Counters[Counters.VoxelsSegmented],16}"));
            }
            var (a, b) = (runs[0].Canvas, runs[1].Canvas);
            var g = SegmentationAgreement.Compare(a.Segmentation.Data, b.Segmentation.Data, a.Segmentation.Shape, a.Trace!, b.Trace!);
            ctx.Out.WriteLine(string.Create(ci, $"VI(bf16, fp32) over all {g.Voxels} voxels (unlabelled = one object): {g.Vi:F4} bits (split {g.ViSplit:F4}, merge {g.ViMerge:F4}); {g.DifferingVoxels} voxels ({100.0 * g.DifferingVoxels / g.Voxels:F2}%) differ in id"));
            ctx.Out.WriteLine(string.Create(ci, $"bf16 scored on fp32's objects: VI {g.BAgainstA.VariationOfInformation:F4} (split {g.BAgainstA.Split:F4}, merge {g.BAgainstA.Merge:F4}), adapted Rand error {g.BAgainstA.AdaptedRandError:F4}, unlabelled {100 * g.BAgainstA.UnlabelledFraction:F2}%"));
            ctx.Out.WriteLine(string.Create(ci, $"fp32 scored on bf16's objects: VI {g.AAgainstB.VariationOfInformation:F4} (split {g.AAgainstB.Split:F4}, merge {g.AAgainstB.Merge:F4}), adapted Rand error {g.AAgainstB.AdaptedRandError:F4}, unlabelled {100 * g.AAgainstB.UnlabelledFraction:F2}%"));
            ctx.Out.WriteLine(g.TraceDivergence < 0 ? $"FoV traces identical ({g.TraceA} steps)"
                : $"FoV traces part at step {g.TraceDivergence} (fp32 {g.TraceA} steps, bf16 {g.TraceB})");
            return Task.FromResult(FfnCli.Ok);
        });
        return cmd;
    }
}
