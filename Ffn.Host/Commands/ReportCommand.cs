using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Reporting;

namespace Ffn.Host.Commands;

/// <summary>`ffn report RUN_DIR [--gt GT] [--out report.html]`: one self-contained HTML page about a run.</summary>
public static class ReportCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "report";
        var dir = new Argument<string>("RUN_DIR") { Description = "A run directory written by `ffn run` (summary.json, run.json, final_result.h5)" };
        var gt = Flags.Make<string>(ctx, s, "--gt", "Ground truth PATH.h5:dataset (.npy, .npz:key, .tif, .zarr[:array]) to score the segmentation against (\"\" = none)");
        var output = Flags.Make<string>(ctx, s, "--out", "HTML file (\"\" = RUN_DIR/report.html); slice PNGs are written beside it");
        var image = Flags.Make<string>(ctx, s, "--image", "EM to draw under the segmentation (\"\" = the run's input from run.json)");
        var positions = Flags.Make<string>(ctx, s, "--positions", "Slice positions as fractions of each axis, e.g. 0.25,0.5,0.75");
        var maxSide = Flags.Make<int>(ctx, s, "--max-side", "Slices longer than this many voxels are subsampled");
        var slab = Flags.Make<int>(ctx, "eval", "--slab-depth", "z slices read per evaluation step (bounds memory)");
        var cmd = new Command("report", "Write a self-contained HTML report of a run: slices with the segmentation, block map, timing, counters, settings, scores")
        {
            dir, gt, output, image, positions, maxSide, slab,
        };
        cmd.SetAction(r =>
        {
            var options = Options(r.GetValue(dir)!, r.GetValue(output), r.GetValue(gt), r.GetValue(image), r.GetValue(positions), r.GetValue(maxSide), r.GetValue(slab));
            var record = RunRecord.Load(r.GetValue(dir)!);
            if (r.GetValue(output) is { Length: > 0 } outFile) OutputDirectory.EnsureParent("--out", outFile);
            var result = ReportWriter.Write(record, options, ctx.Progress);
            if (result.Metrics is { } m)
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"VI {m.VariationOfInformation:F4} (split {m.Split:F4}, merge {m.Merge:F4}), adapted Rand error {m.AdaptedRandError:F4}"));
            ctx.Out.WriteLine($"report: {result.HtmlPath}");
            return FfnCli.Ok;
        });
        return cmd;
    }

    /// <summary>The report's settings from flag values, with errors that name the flag.</summary>
    public static ReportOptions Options(string runDir, string? output, string? gt, string? image, string? positions, int maxSide, int slabDepth)
    {
        var fractions = new List<double>();
        foreach (var p in (positions ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) || f < 0 || f > 1)
                throw new UsageException($"--positions {positions}: '{p}' is not a fraction between 0 and 1");
            fractions.Add(f);
        }
        if (fractions.Count == 0) throw new UsageException("--positions: give at least one fraction, e.g. 0.5");
        Flags.AtLeast("--max-side", maxSide, 16);
        Flags.AtLeast("--slab-depth", slabDepth);
        return new ReportOptions
        {
            OutputPath = string.IsNullOrEmpty(output) ? Path.Combine(runDir, "report.html") : output,
            GroundTruth = string.IsNullOrEmpty(gt) ? null : gt,
            Image = string.IsNullOrEmpty(image) ? null : image,
            Positions = fractions,
            MaxSide = maxSide,
            EvalSlabDepth = slabDepth,
        };
    }

    /// <summary>
    /// `ffn run`'s closing report (RUN_DIR/report.html, ffn.report.* defaults). A report that cannot be written is a
    /// warning, never a failed run: the segmentation is already committed.
    /// </summary>
    public static void AfterRun(CommandContext ctx, string runDir)
    {
        try
        {
            var c = ctx.Config;
            var options = Options(runDir, null, null, null, c.Get<string>("ffn.report.positions"), c.Get<int>("ffn.report.max-side"), c.Get<int>("ffn.eval.slab-depth"));
            var result = ReportWriter.Write(RunRecord.Load(runDir), options, ctx.Progress);
            ctx.Out.WriteLine($"report: {result.HtmlPath}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Ffn.Model.InputException or UsageException or Ffn.Model.Volumes.VolumeException)
        {
            ctx.Err.WriteLine($"ffn: warning: no report written ({e.Message.Split('\n')[0]})");
        }
    }
}
