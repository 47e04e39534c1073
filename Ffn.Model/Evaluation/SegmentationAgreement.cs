using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Volumes;

namespace Ffn.Model.Evaluation;

/// <summary>
/// How far two segmentations of one volume (two inference runs, e.g. fp32 and bf16) agree: the variation of
/// information over every voxel with unlabelled (0) counted as one more object, then each scored against the
/// other's objects (voxels the other labels, as `ffn eval` scores against ground truth), and the first row where
/// their FoV traces part.
/// </summary>
public sealed record SegmentationAgreement(
    double Vi, double ViSplit, double ViMerge, SegmentationMetrics BAgainstA, SegmentationMetrics AAgainstB,
    long DifferingVoxels, long Voxels, int TraceDivergence, int TraceA, int TraceB)
{
    /// <param name="a">Segmentation ids (negative markers count as 0, as the canvas's result writes them).</param>
    public static SegmentationAgreement Compare(int[] a, int[] b, Vec3i shape, IReadOnlyList<FovStep> traceA, IReadOnlyList<FovStep> traceB)
    {
        if (a.Length != b.Length || a.Length != shape.Product) throw new ArgumentException("segmentations of different sizes");
        var ua = new ulong[a.Length];
        var ub = new ulong[a.Length];
        long differing = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ua[i] = (ulong)Math.Max(a[i], 0);
            ub[i] = (ulong)Math.Max(b[i], 0);
            if (ua[i] != ub[i]) differing++;
        }
        // Every voxel scored: shift ids by one so that the table's ignored label 0 never occurs.
        var all = new ContingencyTable();
        all.Add(new Volume<ulong>([.. ub.Select(v => v + 1)], shape), new Volume<ulong>([.. ua.Select(v => v + 1)], shape));
        var whole = SegmentationMetrics.From(all);
        var bOnA = Score(ub, ua, shape);
        var aOnB = Score(ua, ub, shape);
        int diverge = -1;
        for (int i = 0; i < Math.Max(traceA.Count, traceB.Count); i++)
            if (i >= traceA.Count || i >= traceB.Count || traceA[i] != traceB[i])
            {
                diverge = i;
                break;
            }
        return new SegmentationAgreement(whole.VariationOfInformation, whole.Split, whole.Merge, bOnA, aOnB, differing, a.Length, diverge, traceA.Count, traceB.Count);
    }

    /// <summary>The segmentation scored on the voxels the reference labels (an error where it labels none).</summary>
    private static SegmentationMetrics Score(ulong[] segmentation, ulong[] reference, Vec3i shape)
    {
        var t = new ContingencyTable();
        t.Add(new Volume<ulong>(segmentation, shape), new Volume<ulong>(reference, shape));
        return SegmentationMetrics.From(t);
    }
}
