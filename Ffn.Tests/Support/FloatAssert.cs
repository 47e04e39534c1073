using System.Globalization;
using System.Numerics;

namespace Ffn.Tests.Support;

/// <summary>
/// Float comparisons against Python oracles. NumPy's exp and log (and so SciPy's Gaussian kernel, scikit-image's
/// VI) take an AVX-512 path on some x86-64 CPUs and glibc's on others, so their last bits depend on the machine:
/// <see cref="Close(ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, string)"/> lets a few ulps pass and
/// still fails a real error. <see cref="Identical(ReadOnlySpan{float}, ReadOnlySpan{float}, string)"/> is for
/// oracles that are the same on every CPU. A failure names the first offending index and both values.
/// </summary>
public static class FloatAssert
{
    /// <summary>What a comparison found, for the test log.</summary>
    public readonly record struct Summary(int Length, int Unequal, long MaxUlps, double MaxAbs)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Unequal} of {Length} values differ from the oracle, max {MaxUlps} ulps, max abs diff {MaxAbs:G3}");
    }

    /// <summary>Representable doubles between <paramref name="a"/> and <paramref name="b"/>: 0 when equal (±0 too).</summary>
    public static long Ulps(double a, double b) =>
        Distance(Ordered(BitConverter.DoubleToInt64Bits(a)), Ordered(BitConverter.DoubleToInt64Bits(b)));

    /// <summary>Representable floats between <paramref name="a"/> and <paramref name="b"/>: 0 when equal (±0 too).</summary>
    public static long Ulps(float a, float b) =>
        Distance(Ordered(BitConverter.SingleToInt32Bits(a)), Ordered(BitConverter.SingleToInt32Bits(b)));

    public static double MaxAbs(ReadOnlySpan<float> values)
    {
        double m = 0;
        foreach (var v in values) m = Math.Max(m, Math.Abs((double)v));
        return m;
    }

    /// <summary>Asserts |actual − expected| ≤ <paramref name="abs"/> + <paramref name="rel"/>·|expected| everywhere
    /// (NaN only where the oracle has NaN, infinities equal).</summary>
    public static Summary Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rel, double abs = 0,
        string what = "values") => Compare(expected, actual, rel, abs, exact: false, what, Ulps);

    /// <inheritdoc cref="Close(ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, string)"/>
    public static Summary Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rel, double abs = 0,
        string what = "values") => Compare(expected, actual, rel, abs, exact: false, what, Ulps);

    /// <summary>Asserts the same bits at every index.</summary>
    public static Summary Identical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what = "values") =>
        Compare(expected, actual, 0, 0, exact: true, what, Ulps);

    private static Summary Compare<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double rel, double abs,
        bool exact, string what, Func<T, T, long> ulps) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, the oracle has {expected.Length}");
        int unequal = 0, failed = 0, first = -1;
        long maxUlps = 0;
        double maxAbs = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            T e = expected[i], a = actual[i];
            long u = T.IsNaN(e) || T.IsNaN(a) ? (T.IsNaN(e) && T.IsNaN(a) ? 0 : long.MaxValue) : ulps(e, a);
            if (u == 0 && (T.IsNaN(e) || T.IsNegative(e) == T.IsNegative(a))) continue;
            unequal++;
            double de = double.CreateChecked(e), da = double.CreateChecked(a), diff = Math.Abs(da - de);
            maxUlps = Math.Max(maxUlps, u);
            if (!double.IsNaN(diff)) maxAbs = Math.Max(maxAbs, diff);
            bool ok = !exact && u != long.MaxValue && double.IsFinite(diff) && diff <= abs + rel * Math.Abs(de);
            if (ok) continue;
            if (failed++ == 0) first = i;
        }
        if (failed > 0)
        {
            T e = expected[first], a = actual[first];
            string tolerance = exact ? "bit for bit" : string.Create(CultureInfo.InvariantCulture, $"within {abs:G3} + {rel:G3}·|expected|");
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {failed} of {expected.Length} values are not {tolerance}; first at index {first}: " +
                $"expected {e:R}, actual {a:R} ({ulps(e, a)} ulps apart)"));
        }
        return new Summary(expected.Length, unequal, maxUlps, maxAbs);
    }

    // IEEE bit patterns mapped to integers that are ordered like the values, -0 and +0 both to 0.
    private static long Ordered(long bits) => bits < 0 ? long.MinValue - bits : bits;

    private static long Ordered(int bits) => bits < 0 ? int.MinValue - (long)bits : bits;

    private static long Distance(long a, long b)
    {
        Int128 d = (Int128)a - b;
        return d < 0 ? (long)Int128.Min(-d, long.MaxValue) : (long)Int128.Min(d, long.MaxValue);
    }
}
