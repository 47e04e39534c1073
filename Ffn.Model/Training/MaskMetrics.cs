namespace Ffn.Model.Training;

/// <summary>
/// Voxel counts of the thresholded prediction (logit > 0, i.e. p > 0.5) against the object mask (label > 0.5),
/// pooled over everything added, and the mean loss.
/// </summary>
public sealed class MaskMetrics
{
    public long TruePositive { get; private set; }
    public long FalsePositive { get; private set; }
    public long FalseNegative { get; private set; }
    public long TrueNegative { get; private set; }
    public double LossSum { get; private set; }
    public long LossCount { get; private set; }

    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            bool p = logits[i] > 0, t = labels[i] > 0.5f;
            if (p) { if (t) tp++; else fp++; }
            else { if (t) fn++; else tn++; }
        }
        TruePositive += tp;
        FalsePositive += fp;
        FalseNegative += fn;
        TrueNegative += tn;
    }

    public void AddLoss(double loss)
    {
        LossSum += loss;
        LossCount++;
    }

    public double Loss => LossCount == 0 ? double.NaN : LossSum / LossCount;

    /// <summary>Precision of an empty prediction is 1 (nothing claimed wrongly); recall of an empty mask is 1.</summary>
    public double Precision => TruePositive + FalsePositive == 0 ? 1 : (double)TruePositive / (TruePositive + FalsePositive);
    public double Recall => TruePositive + FalseNegative == 0 ? 1 : (double)TruePositive / (TruePositive + FalseNegative);
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
    public double Accuracy
    {
        get
        {
            long n = TruePositive + FalsePositive + FalseNegative + TrueNegative;
            return n == 0 ? double.NaN : (double)(TruePositive + TrueNegative) / n;
        }
    }

    public void Reset()
    {
        TruePositive = FalsePositive = FalseNegative = TrueNegative = 0;
        LossSum = 0;
        LossCount = 0;
    }
}
