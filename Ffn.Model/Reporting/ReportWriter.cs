using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ffn.Model.Blocks;
using Ffn.Model.Evaluation;
using Ffn.Model.Inference;
using Ffn.Model.Volumes;

namespace Ffn.Model.Reporting;

/// <summary>What a report wrote.</summary>
public sealed record ReportResult(string HtmlPath, IReadOnlyList<string> PngPaths, SegmentationMetrics? Metrics);

/// <summary>
/// Writes a run's report: one self-contained HTML page (pictures as data: URIs, block map as inline SVG, no
/// scripts or outside references) and the slice PNGs beside it. Every file is written atomically; the HTML last,
/// so a page never points at a picture that is not there.
/// </summary>
public static class ReportWriter
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static ReportResult Write(RunRecord run, ReportOptions options, IProgress<string>? progress = null)
    {
        var htmlPath = Path.GetFullPath(options.OutputPath);
        var outDir = Path.GetDirectoryName(htmlPath)!;
        if (!Directory.Exists(outDir)) throw new InputException($"--out {options.OutputPath}: directory {outDir} does not exist");
        var stem = Path.GetFileNameWithoutExtension(htmlPath);

        var notes = new List<string>();
        var slices = new List<(OrthoPlane Plane, int Pos, string File, byte[] Png, int W, int H)>();
        SegmentationMetrics? metrics = null;
        Ffn.Model.Geometry.Vec3i? shape = null;
        if (run.Segmentation is { } segSpec)
        {
            using var seg = VolumeStore.OpenRead(segSpec);
            shape = seg.Info.Shape;
            // Scores first: bad ground truth fails the command before any picture is written.
            if (options.GroundTruth is { } gtText)
            {
                using var gt = VolumeStore.OpenRead(VolumeSpec.Parse(gtText, "labels"));
                metrics = SegmentationEvaluator.Evaluate(seg, gt, null, options.EvalSlabDepth, progress);
            }
            // An image given by --image is taken as is; the run's own input is cropped to the run's region.
            using var image = OpenImage(options.Image ?? run.Input, options.Image == null ? run.Roi : null, shape.Value, notes);
            foreach (var plane in OrthoPlanes.All)
            {
                int n = shape.Value[plane.NormalAxis()];
                foreach (var pos in options.Positions.Select(f => Math.Clamp((int)Math.Floor(f * n), 0, n - 1)).Distinct())
                {
                    var img = SliceRenderer.Render(image, seg, plane, pos, options.MaxSide);
                    var png = PngEncoder.Encode(img);
                    var file = $"{stem}_{plane.Name()}_{plane.NormalName()}{pos}.png";
                    AtomicFile.Write(Path.Combine(outDir, file), s => s.Write(png));
                    slices.Add((plane, pos, file, png, img.Width, img.Height));
                }
                progress?.Report($"report: {plane.Name()} slices drawn");
            }
        }
        else
        {
            notes.Add($"No {RunRecord.SegmentationFile}, final_result.zarr or final_result.tif in the run directory (the run did not reach stitching): no slices.");
            if (options.GroundTruth != null) throw new InputException($"--gt: {run.SegmentationPath} is missing, nothing to evaluate");
        }

        var html = Html(run, options, shape, slices.Select(s => (s.Plane, s.Pos, s.File, s.Png, s.W, s.H)).ToList(), metrics, notes);
        AtomicFile.WriteAllText(htmlPath, html);
        return new ReportResult(htmlPath, slices.Select(s => Path.Combine(outDir, s.File)).ToList(), metrics);
    }

    private static IVolumeReader? OpenImage(string? spec, string? roi, Ffn.Model.Geometry.Vec3i shape, List<string> notes)
    {
        if (string.IsNullOrEmpty(spec))
        {
            notes.Add("The run does not name its input image: the segmentation is drawn on black.");
            return null;
        }
        try
        {
            var reader = VolumeStore.OpenRead(VolumeSpec.Parse(spec, "raw"));
            if (roi != null)
            {
                try { reader = new RegionReader(reader, Blocks.RegionOfInterest.Parse("run.json roi_zyx", roi, reader.Info.Shape)); }
                catch { reader.Dispose(); throw; }
            }
            if (reader.Info.Shape == shape) return reader;
            reader.Dispose();
            notes.Add($"The input {spec} no longer has the segmentation's shape {shape}: the segmentation is drawn on black.");
        }
        catch (Exception e) when (e is IOException or InputException or VolumeException or UnauthorizedAccessException)
        {
            notes.Add($"The input {spec} cannot be read ({e.Message.Split('\n')[0]}): the segmentation is drawn on black.");
        }
        return null;
    }

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static string Html(RunRecord run, ReportOptions options, Ffn.Model.Geometry.Vec3i? shape,
        List<(OrthoPlane Plane, int Pos, string File, byte[] Png, int W, int H)> slices, SegmentationMetrics? m, List<string> notes)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append($"<title>ffn run report: {E(Path.GetFileName(run.Directory))}</title>");
        sb.Append("""
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:bold}.bad{color:#c62828;font-weight:bold}
.views{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0}figcaption{font-size:12px;color:#555;margin-top:2px}
img.slice{image-rendering:pixelated;border:1px solid #999}
.blockmap{display:flex;flex-wrap:wrap;gap:16px}
.legend{font-size:12px;margin:6px 0 10px}.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:12px;height:12px;border:1px solid #333;margin-right:4px;vertical-align:-2px}
.note{background:#fff8e1;border:1px solid #f0d98c;padding:6px 10px;font-size:13px}
.kv td:first-child{color:#555}
</style></head><body>
""");
        sb.Append($"<h1>ffn run report: {E(run.Directory)}</h1>");
        sb.Append(run.Complete ? "<p class=\"ok\">complete</p>" : "<p class=\"bad\">INCOMPLETE: some blocks failed or never finished</p>");
        foreach (var n in notes) sb.Append($"<p class=\"note\">{E(n)}</p>");

        // Overview: what was segmented, how long it took, what came out.
        double wall = run.Seconds;
        double worker = run.Blocks.Sum(b => b.Seconds);
        long evals = run.Total(Counters.NetworkEvaluations);
        long voxels = shape?.Product ?? 0;
        int segmented = run.Summary.BlocksDone + run.Summary.BlocksReused;
        var stitch = run.Stitch;
        sb.Append("<h2>Overview</h2><table class=\"kv\">");
        Row(sb, "input", run.Input ?? "?");
        Row(sb, "look around in 3D", $"ffn view {run.Directory} (Neuroglancer, served from this machine; prints the URL to open)");
        Row(sb, "volume shape z,y,x", shape?.ToString() ?? run.Manifest.GetValueOrDefault("input_shape_zyx") ?? "?");
        if (run.Roi != null) Row(sb, "region of interest z,y,x", $"{run.Roi} of the input's {run.Manifest.GetValueOrDefault("input_shape_zyx") ?? "?"}");
        Row(sb, "model sha256", run.Manifest.GetValueOrDefault("model_sha256") ?? "?");
        Row(sb, "blocks", string.Create(Ci, $"{run.Summary.BlocksTotal} in all: {run.Summary.BlocksDone} done, {run.Summary.BlocksReused} reused, {run.Summary.BlocksEmpty} skipped as empty, {run.Summary.BlocksFailed} failed; {run.Summary.Retries} retries"));
        Row(sb, "wall time", string.Create(Ci, $"{wall:F1} s"));
        Row(sb, "worker time (sum over blocks)", string.Create(Ci, $"{worker:F1} s ({run.Settings?.Workers.ToString(Ci) ?? "?"} workers)"));
        if (wall > 0 && voxels > 0) Row(sb, "throughput", string.Create(Ci, $"{voxels / wall:F0} voxels/s, {evals / wall:F2} network evaluations/s, {segmented / wall:F3} blocks/s (wall)"));
        if (stitch != null) Row(sb, "objects", string.Create(Ci, $"{stitch.ObjectsAfter} after merging ({stitch.ObjectsBefore} in blocks, {stitch.PairsMerged} pairs merged)"));
        Row(sb, "voxels segmented", string.Create(Ci, $"{run.Total(Counters.VoxelsSegmented)} (summed over blocks, whose segmented boxes include their overlap and context margins)"));
        Row(sb, "network evaluations", string.Create(Ci, $"{evals}"));
        Row(sb, "seeds tried", string.Create(Ci, $"{run.Total(Counters.SeedsTried)} ({run.Total(Counters.SegmentsKept)} kept as segments)"));
        sb.Append("</table>");

        if (m != null)
        {
            sb.Append($"<h2>Evaluation against {E(options.GroundTruth)}</h2><table class=\"kv\">");
            Row(sb, "voxels scored (ground truth ≠ 0)", string.Create(Ci, $"{m.Voxels}"));
            Row(sb, "objects", string.Create(Ci, $"{m.GtObjects} ground truth, {m.SegObjects} segmentation"));
            Row(sb, "variation of information", string.Create(Ci, $"{m.VariationOfInformation:F4} bits = split H(seg|gt) {m.Split:F4} + merge H(gt|seg) {m.Merge:F4}"));
            Row(sb, "adapted Rand error", string.Create(Ci, $"{m.AdaptedRandError:F4} (precision {m.RandPrecision:F4}, recall {m.RandRecall:F4}, F1 {1 - m.AdaptedRandError:F4})"));
            Row(sb, "unlabelled (segment id 0, scored as one segment)", string.Create(Ci, $"{m.Unlabelled} voxels ({100 * m.UnlabelledFraction:F1}% of those scored)"));
            Row(sb, "worst splits (gt id: voxels, bits)", string.Join("; ", m.WorstSplits.Select(e => string.Create(Ci, $"{e.Id}: {e.Voxels}, {e.Bits:F4}"))));
            Row(sb, "worst merges (seg id: voxels, bits)", string.Join("; ", m.WorstMerges.Select(e => string.Create(Ci, $"{e.Id}: {e.Voxels}, {e.Bits:F4}"))));
            sb.Append("</table>");
        }

        if (slices.Count > 0)
        {
            sb.Append("<h2>Slices</h2><p style=\"font-size:13px\">EM in grey, each object in its own colour (outlines stronger). " +
                      "xz and yz views have z running down. Click a view for its PNG file.</p>");
            // One magnification for every view, so the three orientations show voxels at the same size.
            int k = Math.Max(1, 384 / slices.Max(s => Math.Max(s.W, s.H)));
            foreach (var group in slices.GroupBy(s => s.Plane))
            {
                sb.Append("<div class=\"views\">");
                foreach (var s in group)
                {
                    sb.Append(Ci, $"<figure><a href=\"{E(s.File)}\"><img class=\"slice\" alt=\"{s.Plane.Name()} slice at {s.Plane.NormalName()}={s.Pos}\" width=\"{s.W * k}\" height=\"{s.H * k}\" src=\"data:image/png;base64,{Convert.ToBase64String(s.Png)}\"></a>");
                    sb.Append(Ci, $"<figcaption>{s.Plane.Name()} at {s.Plane.NormalName()} = {s.Pos} ({s.W}×{s.H})</figcaption></figure>");
                }
                sb.Append("</div><br>");
            }
        }

        sb.Append("<h2>Block map</h2>").Append(BlockMap.Legend()).Append(BlockMap.Svg(run.Blocks));

        sb.Append("<h2>Blocks</h2><table><tr><th>#</th><th>name</th><th>grid z,y,x</th><th>core start</th><th>core size</th><th>state</th><th>attempts</th><th>worker</th><th>device</th><th>seconds</th><th>network evaluations</th><th>segments kept</th><th>errors</th></tr>");
        foreach (var b in run.Blocks)
            sb.Append(Ci, $"<tr><td class=\"n\">{b.Index}</td><td>{E(b.Name)}</td><td>{b.Grid}</td><td>{b.CoreStart}</td><td>{b.CoreSize}</td><td>{E(b.Category().ToString().ToLowerInvariant())}</td><td class=\"n\">{b.Attempts}</td><td title=\"{E(b.Worker)}\">{E(ShortWorker(b.Worker))}</td><td>{E(b.Device ?? "")}</td><td class=\"n\">{b.Seconds:F1}</td><td class=\"n\">{b.Counter(Counters.NetworkEvaluations)}</td><td class=\"n\">{b.Counter(Counters.SegmentsKept)}</td><td>{E(string.Join("; ", b.Errors))}</td></tr>");
        sb.Append("</table>");

        if (run.Summary.Counters.Count > 0)
        {
            sb.Append("<h2>Counters (all blocks)</h2><table class=\"kv\">");
            foreach (var (k, v) in run.Summary.Counters) Row(sb, k, v.ToString(Ci));
            sb.Append("</table>");
        }
        if (stitch != null)
        {
            sb.Append("<h2>Stitching</h2><table class=\"kv\">");
            foreach (var (k, v) in RunSummary.StitchJson(stitch)) Row(sb, k, v?.ToString() ?? "");
            sb.Append("</table>");
        }
        sb.Append("<h2>Settings</h2><table class=\"kv\">");
        var seen = new HashSet<string>();
        if (run.Settings != null)
            foreach (var (k, v) in RunSummary.SettingsJson(run.Settings))
                if (seen.Add(k)) Row(sb, k, v?.ToString() ?? "");
        foreach (var (k, v) in run.Manifest.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (seen.Add(k)) Row(sb, k, v);
        sb.Append("</table>");
        sb.Append("<p style=\"font-size:12px;color:#777;margin-top:24px\">Written by <code>ffn report</code> from summary.json and run.json of the run directory.</p>");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>A stitch figure by its PascalCase name or its snake_case form.</summary>
    private static string Field(JsonObject o, string name) =>
        (o[name] ?? o[string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()))])?.ToString() ?? "?";

    /// <summary>The last segment of an actor path (akka://ffn/user/run-1/workers/worker-2 -> worker-2).</summary>
    private static string ShortWorker(string? worker) => worker == null ? "" : worker[(worker.LastIndexOf('/') + 1)..];

    private static void Row(StringBuilder sb, string key, string value) => sb.Append($"<tr><td>{E(key)}</td><td>{E(value)}</td></tr>");
}
