namespace Ffn.Model.DataPrep;

/// <summary>
/// Maps a LOM voxel count to its partition value exactly as google/ffn does: the fraction count / fov in float64
/// compared to each float64 threshold, value = 1 + (number of thresholds &lt;= fraction). The comparison is done once
/// per threshold here, as the least count whose fraction reaches it; float64 division of exact integers is
/// monotonic in the count, so "count &gt;= least count" is the same test as "count / fov &gt;= threshold".
/// </summary>
internal sealed class ValueTable
{
    private readonly int[] _leastCount;

    public ValueTable(IReadOnlyList<double> thresholds, long fov)
    {
        if (fov <= 0 || fov > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(fov), fov, "LOM box volume out of range");
        Fov = fov;
        _leastCount = new int[thresholds.Count];
        for (int i = 0; i < thresholds.Count; i++)
        {
            double t = thresholds[i];
            long lo = 0, hi = fov + 1;   // fov + 1: no count reaches t (only for t > 1)
            while (lo < hi)
            {
                long mid = lo + (hi - lo) / 2;
                if (Fraction(mid) >= t) hi = mid;
                else lo = mid + 1;
            }
            _leastCount[i] = (int)Math.Min(lo, int.MaxValue);
        }
    }

    public long Fov { get; }

    public double Fraction(long count) => (double)count / Fov;

    public byte ValueOf(int count)
    {
        int v = 0;
        while (v < _leastCount.Length && count >= _leastCount[v]) v++;
        return (byte)(v + 1);
    }
}
