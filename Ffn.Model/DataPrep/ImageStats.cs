using System.Numerics;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.DataPrep;

/// <summary>Mean and (population) standard deviation of a volume, as FFN-PyTorch's util/stats.py prints them.</summary>
public sealed record ImageStats(double Mean, double StdDev, long Count, double Min, double Max)
{
    /// <summary>
    /// One streaming pass over z-slabs. Integer data is summed exactly (sum and sum of squares in BigInteger),
    /// so mean and variance are exact before the final rounding; float data is merged per block with Chan's
    /// parallel update in float64, which stays within ~1e-12 of NumPy's two-pass result.
    /// </summary>
    /// <exception cref="InputException">a float volume with a NaN or Inf voxel (<see cref="NonFiniteVoxels"/>).</exception>
    public static ImageStats Compute(IVolumeReader reader, Vec3i blockShape, IProgress<string>? progress = null)
    {
        var info = reader.Info;
        if (info.Shape.Product == 0) throw new VolumeException($"{reader.Source}: the volume is empty");
        var slab = new Vec3i(Math.Min(blockShape.Z, info.Shape.Z), info.Shape.Y, info.Shape.X);
        var blocks = info.Box.Tiles(new Vec3i(slab.Z, Math.Min(blockShape.Y, info.Shape.Y), Math.Min(blockShape.X, info.Shape.X))).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        BigInteger isum = 0, isq = 0;
        long n = 0;
        double fmean = 0, fm2 = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        bool isFloat = info.DType.IsFloat();
        var nonFinite = new NonFiniteVoxels(reader.Source);
        for (int b = 0; b < blocks.Count; b++)
        {
            var v = reader.Read(blocks[b]);
            if (isFloat)
            {
                nonFinite.Add(v);
                var (bm, bm2, bmin, bmax) = FloatMoments(v);
                long bn = v.Length, total = n + bn;
                double delta = bm - fmean;
                fmean += delta * bn / total;
                fm2 += bm2 + delta * delta * n * bn / total;
                n = total;
                min = Math.Min(min, bmin);
                max = Math.Max(max, bmax);
            }
            else
            {
                var (s, sq, bmin, bmax) = IntegerSums(v);
                isum += s;
                isq += sq;
                n += v.Length;
                min = Math.Min(min, bmin);
                max = Math.Max(max, bmax);
            }
            if (progress != null && (b % 8 == 7 || b == blocks.Count - 1))
            {
                double rate = n / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                double eta = (info.Shape.Product - n) / Math.Max(rate, 1);
                progress.Report($"stats: block {b + 1}/{blocks.Count}, {rate / 1e6:F1} Mvoxel/s, ETA {eta:F0} s");
            }
        }
        nonFinite.ThrowIfAny();
        if (isFloat) return new ImageStats(fmean, Math.Sqrt(fm2 / n), n, min, max);
        // Var = (n*sumsq - sum^2) / n^2, exact in integers until the division.
        var num = n * isq - isum * isum;
        double mean = (double)isum / n;
        double variance = (double)num / n / n;
        return new ImageStats(mean, Math.Sqrt(variance), n, min, max);
    }

    private static (BigInteger Sum, BigInteger SumSq, double Min, double Max) IntegerSums(Volume v)
    {
        switch (v)
        {
            case Volume<byte> b:
            {
                // Histogram: exact and fast for 8-bit EM.
                var hist = new long[256];
                foreach (var x in b.Data) hist[x]++;
                BigInteger s = 0, sq = 0;
                double mn = double.PositiveInfinity, mx = double.NegativeInfinity;
                for (int i = 0; i < 256; i++)
                {
                    if (hist[i] == 0) continue;
                    s += (BigInteger)hist[i] * i;
                    sq += (BigInteger)hist[i] * i * i;
                    mn = Math.Min(mn, i);
                    mx = Math.Max(mx, i);
                }
                return (s, sq, mn, mx);
            }
            case Volume<ushort> or Volume<uint> or Volume<int>:
            {
                // |x| < 2^32 so x^2 < 2^64 and a block of < 2^31 voxels sums below 2^95: Int128 is exact.
                Int128 s = 0, sq = 0;
                double mn = double.PositiveInfinity, mx = double.NegativeInfinity;
                for (long i = 0; i < v.Length; i++)
                {
                    long x = (long)v.GetDouble(i);
                    s += x;
                    sq += (Int128)x * x;
                    mn = Math.Min(mn, x);
                    mx = Math.Max(mx, x);
                }
                return ((BigInteger)s, (BigInteger)sq, mn, mx);
            }
            default:
            {
                BigInteger s = 0, sq = 0;
                double mn = double.PositiveInfinity, mx = double.NegativeInfinity;
                for (long i = 0; i < v.Length; i++)
                {
                    var x = v.GetDouble(i);
                    var bi = v switch
                    {
                        Volume<ulong> u => new BigInteger(u.Data[i]),
                        Volume<long> l => new BigInteger(l.Data[i]),
                        _ => new BigInteger(x),
                    };
                    s += bi;
                    sq += bi * bi;
                    mn = Math.Min(mn, x);
                    mx = Math.Max(mx, x);
                }
                return (s, sq, mn, mx);
            }
        }
    }

    private static (double Mean, double M2, double Min, double Max) FloatMoments(Volume v)
    {
        double sum = 0, mn = double.PositiveInfinity, mx = double.NegativeInfinity;
        for (long i = 0; i < v.Length; i++)
        {
            var x = v.GetDouble(i);
            sum += x;
            mn = Math.Min(mn, x);
            mx = Math.Max(mx, x);
        }
        double mean = sum / v.Length, m2 = 0;
        for (long i = 0; i < v.Length; i++)
        {
            double d = v.GetDouble(i) - mean;
            m2 += d * d;
        }
        return (mean, m2, mn, mx);
    }
}
