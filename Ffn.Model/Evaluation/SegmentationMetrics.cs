namespace Ffn.Model.Evaluation;

/// <summary>One object's share of an error: its id, size in the evaluated voxels and entropy contribution (bits).</summary>
public sealed record ObjectError(ulong Id, long Voxels, double Bits);

/// <summary>
/// Variation of information (split H(seg|gt), merge H(gt|seg), base 2) and the adapted Rand error with its
/// precision and recall, by scikit-image's definitions (variation_of_information, adapted_rand_error) over voxels
/// with ground truth != 0; plus the ground-truth objects split most and the segments that merge most, and how many
/// scored voxels the segmentation left unlabelled (id 0, which both metrics count as one more segment).
/// </summary>
public sealed record SegmentationMetrics(
    double Split, double Merge, double AdaptedRandError, double RandPrecision, double RandRecall, long Voxels,
    int GtObjects, int SegObjects, IReadOnlyList<ObjectError> WorstSplits, IReadOnlyList<ObjectError> WorstMerges, long Unlabelled)
{
    public double VariationOfInformation => Split + Merge;

    public double UnlabelledFraction => (double)Unlabelled / Voxels;

    public static SegmentationMetrics From(ContingencyTable table, int worst = 5)
    {
        long n = table.Total;
        if (n == 0) throw new InputException("the ground truth has no labelled (non-zero) voxels in the evaluated region");
        var gtSize = new Dictionary<ulong, long>();
        var segSize = new Dictionary<ulong, long>();
        foreach (var ((g, s), c) in table.Pairs)
        {
            gtSize[g] = gtSize.GetValueOrDefault(g) + c;
            segSize[s] = segSize.GetValueOrDefault(s) + c;
        }
        var splitBy = new Dictionary<ulong, double>();
        var mergeBy = new Dictionary<ulong, double>();
        double sumPairs2 = 0;
        foreach (var ((g, s), c) in table.Pairs)
        {
            double p = (double)c / n;
            double splitBits = -p * Math.Log2((double)c / gtSize[g]);
            double mergeBits = -p * Math.Log2((double)c / segSize[s]);
            splitBy[g] = splitBy.GetValueOrDefault(g) + splitBits;
            mergeBy[s] = mergeBy.GetValueOrDefault(s) + mergeBits;
            sumPairs2 += (double)c * c;
        }
        double sumA2 = gtSize.Values.Sum(a => (double)a * a) - n;
        double sumB2 = segSize.Values.Sum(b => (double)b * b) - n;
        sumPairs2 -= n;
        double precision = sumPairs2 / sumA2, recall = sumPairs2 / sumB2;
        double f = 2 * precision * recall / (precision + recall);
        return new SegmentationMetrics(
            splitBy.Values.Sum(), mergeBy.Values.Sum(), 1 - f, precision, recall, n, gtSize.Count, segSize.Count,
            splitBy.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(worst).Select(kv => new ObjectError(kv.Key, gtSize[kv.Key], kv.Value)).ToList(),
            mergeBy.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(worst).Select(kv => new ObjectError(kv.Key, segSize[kv.Key], kv.Value)).ToList(),
            segSize.GetValueOrDefault(0UL));
    }
}
