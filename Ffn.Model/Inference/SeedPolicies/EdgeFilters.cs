using System.Numerics;
using System.Runtime.InteropServices;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// The SciPy ndimage filters google/ffn's PolicyPeaks uses, reproduced operation for operation so the float32
/// results match SciPy's bit for bit: <c>correlate1d</c> with mode 'reflect', <c>sobel</c>,
/// <c>generic_gradient_magnitude(·, sobel)</c> and <c>gaussian_filter</c>. Like SciPy, each 1-D pass computes in
/// float64 (with its symmetric/antisymmetric kernel shortcuts and summation order) and rounds to float32 on output,
/// and multi-axis filters store float32 between passes. Lines are filtered in parallel.
/// </summary>
public static class EdgeFilters
{
    /// <summary>C's DBL_EPSILON (not .NET's double.Epsilon, the smallest subnormal).</summary>
    private const double DblEpsilon = 2.220446049250313e-16;

    /// <summary>
    /// SciPy's <c>correlate1d(input, weights, axis, output, mode='reflect', origin=0)</c>. <paramref name="output"/>
    /// may be <paramref name="input"/> (SciPy allows that too: every line is buffered before it is written).
    /// </summary>
    public static Volume<float> Correlate1D(Volume<float> input, ReadOnlySpan<double> weights, int axis,
        Volume<float>? output = null)
    {
        if (weights.Length < 1) throw new ArgumentException("no filter weights given", nameof(weights));
        output ??= new Volume<float>(input.Shape, input.Offset);
        if (output.Shape != input.Shape)
            throw new ArgumentException($"output shape {output.Shape} differs from input shape {input.Shape}");
        var kernel = new Kernel(weights.ToArray());
        var lines = AxisLines.ForBuffer(input.Shape, axis, kernel.Size1 + kernel.Size2);
        var src = input.Data;
        var dst = output.Data;
        Parallel.For(0L, lines.Count, () => new double[(lines.Length + kernel.Size1 + kernel.Size2) * lines.Width],
            (g, _, buffer) =>
            {
                CorrelateGroup(src, dst, lines, g, kernel, buffer);
                return buffer;
            }, _ => { });
        return output;
    }

    /// <summary>SciPy's <c>sobel(input, axis)</c>: [-1, 0, 1] along <paramref name="axis"/>, then [1, 2, 1] along
    /// each other axis in increasing order, float32 between passes.</summary>
    public static Volume<float> Sobel(Volume<float> input, int axis)
    {
        var output = Correlate1D(input, [-1.0, 0.0, 1.0], axis);
        for (int other = 0; other < 3; other++)
            if (other != axis) Correlate1D(output, [1.0, 2.0, 1.0], other, output);
        return output;
    }

    /// <summary>
    /// SciPy's <c>generic_gradient_magnitude(input, sobel)</c> for float32 input: float32 squares summed over
    /// axes 0, 1, 2 in that order, then a float32 square root.
    /// </summary>
    public static Volume<float> SobelGradientMagnitude(Volume<float> input)
    {
        var output = Sobel(input, 0);
        var acc = output.Data;
        Chunked.For(acc.Length, (a, b) =>
        {
            for (int i = a; i < b; i++) acc[i] *= acc[i];
        });
        for (int axis = 1; axis < 3; axis++)
        {
            var tmp = Sobel(input, axis).Data;
            Chunked.For(acc.Length, (a, b) =>
            {
                for (int i = a; i < b; i++) acc[i] += tmp[i] * tmp[i];
            });
        }
        Chunked.For(acc.Length, (a, b) =>
        {
            for (int i = a; i < b; i++) acc[i] = MathF.Sqrt(acc[i]);
        });
        return output;
    }

    /// <summary>SciPy's kernel radius for <c>gaussian_filter</c>: <c>int(truncate * sigma + 0.5)</c>.</summary>
    public static int GaussianRadius(double sigma, double truncate = 4.0) => (int)(truncate * sigma + 0.5);

    /// <summary>
    /// SciPy's <c>_gaussian_kernel1d(sigma, 0, radius)</c>: exp(-0.5 / sigma² · x²) normalised by its sum, the sum
    /// taken in NumPy's pairwise order so that the float64 weights are identical.
    /// </summary>
    public static double[] GaussianKernel1D(double sigma, int radius)
    {
        if (radius < 0) throw new ArgumentOutOfRangeException(nameof(radius), "radius must be non-negative");
        double scale = -0.5 / (sigma * sigma);
        var phi = new double[2 * radius + 1];
        for (int i = 0; i < phi.Length; i++)
        {
            long x = i - radius;
            phi[i] = Math.Exp(scale * (x * x));
        }
        double sum = NumPyPairwiseSum(phi);
        for (int i = 0; i < phi.Length; i++) phi[i] /= sum;
        return phi;
    }

    /// <summary>
    /// SciPy's <c>gaussian_filter(input, sigma, output=float32, mode='reflect', truncate)</c>: one 1-D pass per axis
    /// in order 0, 1, 2 (axes with sigma ≤ 1e-15 skipped), rounding to float32 between passes.
    /// </summary>
    public static Volume<float> GaussianFilter(Volume<float> input, double sigma, double truncate = 4.0) =>
        GaussianFilter(input, (sigma, sigma, sigma), truncate);

    public static Volume<float> GaussianFilter(Volume<float> input, (double Z, double Y, double X) sigma,
        double truncate = 4.0)
    {
        double[] sigmas = [sigma.Z, sigma.Y, sigma.X];
        Volume<float>? output = null;
        var current = input;
        for (int axis = 0; axis < 3; axis++)
        {
            if (!(sigmas[axis] > 1e-15)) continue;
            // SciPy correlates with the reversed kernel; it is symmetric, so reversing changes nothing.
            var weights = GaussianKernel1D(sigmas[axis], GaussianRadius(sigmas[axis], truncate));
            Array.Reverse(weights);
            output = Correlate1D(current, weights, axis, output);
            current = output;
        }
        return output ?? input.Clone();
    }

    /// <summary>NumPy's <c>pairwise_sum</c> for float64 (8-way unrolled blocks of at most 128, split in halves
    /// above), plus the reduction's initial 0.</summary>
    internal static double NumPyPairwiseSum(ReadOnlySpan<double> a) => 0.0 + PairwiseSum(a);

    private static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            Span<double> r = stackalloc double[8];
            a[..8].CopyTo(r);
            int i = 8;
            for (; i < n - n % 8; i += 8)
                for (int k = 0; k < 8; k++) r[k] += a[i + k];
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }

    /// <summary>Filter weights with SciPy's classification: odd-sized kernels that are symmetric or antisymmetric
    /// within DBL_EPSILON take the paired-sample shortcut, which changes the float64 summation order.</summary>
    private sealed class Kernel
    {
        public Kernel(double[] weights)
        {
            Weights = weights;
            int size = weights.Length;
            Size1 = size / 2;
            Size2 = size - Size1 - 1;
            if ((size & 1) == 1)
            {
                Symmetry = 1;
                for (int i = 1; i <= Size1; i++)
                    if (Math.Abs(weights[Size1 + i] - weights[Size1 - i]) > DblEpsilon) { Symmetry = 0; break; }
                if (Symmetry == 0)
                {
                    Symmetry = -1;
                    for (int i = 1; i <= Size1; i++)
                        if (Math.Abs(weights[Size1 + i] + weights[Size1 - i]) > DblEpsilon) { Symmetry = 0; break; }
                }
            }
        }

        public double[] Weights { get; }
        public int Size1 { get; }
        public int Size2 { get; }

        /// <summary>1 symmetric, -1 antisymmetric, 0 general.</summary>
        public int Symmetry { get; }
    }

    private static void CorrelateGroup(float[] src, float[] dst, AxisLines lines, long g, Kernel kernel, double[] buf)
    {
        var (base0, lineStep, count) = lines.Group(g);
        int n = lines.Length, w = lines.Width, s1 = kernel.Size1, s2 = kernel.Size2;
        long stride = lines.Stride;
        // Load every line with its reflected extension: buf[k * w + j] is line j at position k - s1.
        for (int k = 0; k < n + s1 + s2; k++)
        {
            long at = base0 + ReflectIndex(k - s1, n) * stride;
            int row = k * w;
            if (lineStep == 1)
                for (int j = 0; j < count; j++) buf[row + j] = src[at + j];
            else
                for (int j = 0; j < count; j++) buf[row + j] = src[at + j * lineStep];
        }

        var fw = kernel.Weights;
        int vc = Vector<double>.Count;
        ref double b0 = ref MemoryMarshal.GetArrayDataReference(buf);
        for (int p = 0; p < n; p++)
        {
            int c = (p + s1) * w; // centre row
            long outAt = base0 + p * stride;
            int j = 0;
            // Four vectors at a time: independent accumulators hide the add latency. Every lane performs exactly
            // SciPy's scalar sequence of operations (no fused multiply-add), so results are bit-identical.
            for (; j + 4 * vc <= count; j += 4 * vc)
            {
                int at = c + j;
                Vector<double> a0, a1, a2, a3;
                if (kernel.Symmetry != 0)
                {
                    var w0 = new Vector<double>(fw[s1]);
                    a0 = Ld(ref b0, at) * w0;
                    a1 = Ld(ref b0, at + vc) * w0;
                    a2 = Ld(ref b0, at + 2 * vc) * w0;
                    a3 = Ld(ref b0, at + 3 * vc) * w0;
                    for (int t = s1; t > 0; t--)
                    {
                        var wt = new Vector<double>(fw[s1 - t]);
                        int lo = at - t * w, hi = at + t * w;
                        if (kernel.Symmetry > 0)
                        {
                            a0 += (Ld(ref b0, lo) + Ld(ref b0, hi)) * wt;
                            a1 += (Ld(ref b0, lo + vc) + Ld(ref b0, hi + vc)) * wt;
                            a2 += (Ld(ref b0, lo + 2 * vc) + Ld(ref b0, hi + 2 * vc)) * wt;
                            a3 += (Ld(ref b0, lo + 3 * vc) + Ld(ref b0, hi + 3 * vc)) * wt;
                        }
                        else
                        {
                            a0 += (Ld(ref b0, lo) - Ld(ref b0, hi)) * wt;
                            a1 += (Ld(ref b0, lo + vc) - Ld(ref b0, hi + vc)) * wt;
                            a2 += (Ld(ref b0, lo + 2 * vc) - Ld(ref b0, hi + 2 * vc)) * wt;
                            a3 += (Ld(ref b0, lo + 3 * vc) - Ld(ref b0, hi + 3 * vc)) * wt;
                        }
                    }
                }
                else
                {
                    var wl = new Vector<double>(fw[s1 + s2]);
                    int last = at + s2 * w;
                    a0 = Ld(ref b0, last) * wl;
                    a1 = Ld(ref b0, last + vc) * wl;
                    a2 = Ld(ref b0, last + 2 * vc) * wl;
                    a3 = Ld(ref b0, last + 3 * vc) * wl;
                    for (int t = -s1; t < s2; t++)
                    {
                        var wt = new Vector<double>(fw[s1 + t]);
                        int o = at + t * w;
                        a0 += Ld(ref b0, o) * wt;
                        a1 += Ld(ref b0, o + vc) * wt;
                        a2 += Ld(ref b0, o + 2 * vc) * wt;
                        a3 += Ld(ref b0, o + 3 * vc) * wt;
                    }
                }
                if (lineStep == 1)
                {
                    var lo = Vector.Narrow(a0, a1);
                    var hi = Vector.Narrow(a2, a3);
                    lo.CopyTo(dst.AsSpan(checked((int)(outAt + j)), Vector<float>.Count));
                    hi.CopyTo(dst.AsSpan(checked((int)(outAt + j + 2 * vc)), Vector<float>.Count));
                }
                else
                {
                    Scatter(dst, outAt + j * lineStep, lineStep, a0);
                    Scatter(dst, outAt + (j + vc) * lineStep, lineStep, a1);
                    Scatter(dst, outAt + (j + 2 * vc) * lineStep, lineStep, a2);
                    Scatter(dst, outAt + (j + 3 * vc) * lineStep, lineStep, a3);
                }
            }
            for (; j < count; j++)
            {
                double acc;
                if (kernel.Symmetry > 0)
                {
                    acc = buf[c + j] * fw[s1];
                    for (int t = s1; t > 0; t--) acc += (buf[c - t * w + j] + buf[c + t * w + j]) * fw[s1 - t];
                }
                else if (kernel.Symmetry < 0)
                {
                    acc = buf[c + j] * fw[s1];
                    for (int t = s1; t > 0; t--) acc += (buf[c - t * w + j] - buf[c + t * w + j]) * fw[s1 - t];
                }
                else
                {
                    acc = buf[c + s2 * w + j] * fw[s1 + s2];
                    for (int t = -s1; t < s2; t++) acc += buf[c + t * w + j] * fw[s1 + t];
                }
                dst[outAt + j * lineStep] = (float)acc;
            }
        }
    }

    // Callers keep every index inside the buffer (rows s1 .. s1 + n - 1 plus the kernel reach, lanes < count).
    private static Vector<double> Ld(ref double b0, int index) => Vector.LoadUnsafe(ref b0, (nuint)index);

    private static void Scatter(float[] dst, long at, long step, Vector<double> v)
    {
        for (int l = 0; l < Vector<double>.Count; l++) dst[at + l * step] = (float)v[l];
    }

    /// <summary>SciPy's 'reflect' extension (d c b a | a b c d | d c b a), periodic with period 2n.</summary>
    internal static int ReflectIndex(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * n;
        int m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - 1 - m;
    }
}
