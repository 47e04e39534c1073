using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model.Evaluation;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Host.Commands;

/// <summary>`ffn eval SEG GT`: variation of information (split/merge) and adapted Rand error, streamed over slabs.</summary>
public static class EvalCommand
{
    public static Command Create(CommandContext ctx)
    {
        var seg = new Argument<string>("segmentation") { Description = "file.h5:dataset, .npy, .npz:key, multi-page .tif or .zarr[:array]" };
        var gt = new Argument<string>("ground-truth") { Description = "Same forms; voxels where it is 0 are not scored" };
        var crop = new Option<string?>("--crop") { Description = "Region Z0:Z1,Y0:Y1,X0:X1 (end exclusive)" };
        var json = new Option<string?>("--json") { Description = "Also write the figures as JSON to this file" };
        var slab = Flags.Make<int>(ctx, "eval", "--slab-depth", "z slices read per step (bounds memory)");
        var cmd = new Command("eval", "Score a segmentation against ground truth: VI split/merge and adapted Rand error") { seg, gt, crop, json, slab };
        cmd.SetAction(r =>
        {
            using var s = VolumeStore.OpenRead(VolumeSpec.Parse(r.GetValue(seg)!, "segmentation"));
            using var g = VolumeStore.OpenRead(VolumeSpec.Parse(r.GetValue(gt)!, "labels"));
            var box = r.GetValue(crop) is { } c ? ParseCrop(c) : (Box3?)null;
            var m = SegmentationEvaluator.Evaluate(s, g, box, r.GetValue(slab), ctx.Progress);
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(ci, $"voxels scored: {m.Voxels} (ground truth != 0); objects: {m.GtObjects} ground truth, {m.SegObjects} segmentation"));
            ctx.Out.WriteLine(string.Create(ci, $"VI: {m.VariationOfInformation:F6} = split H(seg|gt) {m.Split:F6} + merge H(gt|seg) {m.Merge:F6}"));
            ctx.Out.WriteLine(string.Create(ci, $"adapted Rand error: {m.AdaptedRandError:F6} (precision {m.RandPrecision:F6}, recall {m.RandRecall:F6})"));
            ctx.Out.WriteLine(string.Create(ci, $"unlabelled: {m.Unlabelled} of the scored voxels ({100 * m.UnlabelledFraction:F1}%) have segment id 0 (scored as one segment)"));
            ctx.Out.WriteLine("worst splits (gt id, voxels, bits): " + string.Join("; ", m.WorstSplits.Select(e => string.Create(ci, $"{e.Id} {e.Voxels} {e.Bits:F4}"))));
            ctx.Out.WriteLine("worst merges (seg id, voxels, bits): " + string.Join("; ", m.WorstMerges.Select(e => string.Create(ci, $"{e.Id} {e.Voxels} {e.Bits:F4}"))));
            if (r.GetValue(json) is { } path)
            {
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new
                {
                    segmentation = s.Source, ground_truth = g.Source, voxels = m.Voxels,
                    vi = m.VariationOfInformation, vi_split = m.Split, vi_merge = m.Merge,
                    adapted_rand_error = m.AdaptedRandError, rand_precision = m.RandPrecision, rand_recall = m.RandRecall,
                    gt_objects = m.GtObjects, seg_objects = m.SegObjects, unlabelled_voxels = m.Unlabelled,
                    worst_splits = m.WorstSplits, worst_merges = m.WorstMerges,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            }
            return FfnCli.Ok;
        });
        return cmd;
    }

    private static Box3 ParseCrop(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 3) throw new UsageException($"--crop {text}: expected Z0:Z1,Y0:Y1,X0:X1");
        var se = parts.Select(p =>
        {
            var ab = p.Split(':');
            if (ab.Length != 2 || !int.TryParse(ab[0], out var a) || !int.TryParse(ab[1], out var b) || b <= a || a < 0)
                throw new UsageException($"--crop {text}: '{p}' is not START:END with 0 <= START < END");
            return (a, b);
        }).ToArray();
        return Box3.FromStartEnd(new Vec3i(se[0].a, se[1].a, se[2].a), new Vec3i(se[0].b, se[1].b, se[2].b));
    }
}
