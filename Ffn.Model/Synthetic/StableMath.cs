namespace Ffn.Model.Synthetic;

/// <summary>
/// exp, log, sin and cos from + - * / and exact scaling only, so their results are the same bits on every CPU.
/// Math.Exp and friends call the C library, whose x86-64 versions are picked per CPU (with or without FMA) and
/// may differ in the last bit; a synthetic volume must be the same bytes everywhere for its seed. Accurate to a
/// few ulps, which is all noise and geometry need.
/// </summary>
public static class StableMath
{
    private const double Ln2Hi = 0.693147180369123816490, Ln2Lo = 1.90821492927058770002e-10;
    private const double TwoPi = 2 * Math.PI;

    public static double Exp(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x > 709.7) return double.PositiveInfinity;
        if (x < -745.2) return 0;
        double k = Math.Round(x / Ln2Hi);
        double r = x - k * Ln2Hi - k * Ln2Lo; // |r| <= ln2 / 2
        // Taylor series to r^17 / 17!: the next term is below 2^-60 for |r| <= 0.35.
        double sum = 1, term = 1;
        for (int n = 1; n <= 17; n++)
        {
            term = term * r / n;
            sum += term;
        }
        return Math.ScaleB(sum, (int)k);
    }

    /// <summary>Natural logarithm of a positive finite x.</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x)) return x == 0 ? double.NegativeInfinity : double.NaN;
        int e = Math.ILogB(x);
        double m = Math.ScaleB(x, -e); // [1, 2)
        if (m > 1.4142135623730951)
        {
            m /= 2;
            e++;
        }
        // log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: odd powers to s^41.
        double s = (m - 1) / (m + 1), s2 = s * s, power = s, sum = 0;
        for (int n = 1; n <= 41; n += 2)
        {
            sum += power / n;
            power *= s2;
        }
        return 2 * sum + e * Ln2Hi + e * Ln2Lo;
    }

    public static double Sin(double x)
    {
        double r = Reduce(x);
        double r2 = r * r, term = r, sum = r;
        for (int n = 1; n <= 14; n++)
        {
            term = -term * r2 / ((2 * n) * (2 * n + 1));
            sum += term;
        }
        return sum;
    }

    public static double Cos(double x)
    {
        double r = Reduce(x);
        double r2 = r * r, term = 1, sum = 1;
        for (int n = 1; n <= 14; n++)
        {
            term = -term * r2 / ((2 * n - 1) * (2 * n));
            sum += term;
        }
        return sum;
    }

    /// <summary>x minus a whole number of turns, into [-pi, pi] (enough for the small angles used here).</summary>
    private static double Reduce(double x) => x - Math.Round(x / TwoPi) * TwoPi;
}
