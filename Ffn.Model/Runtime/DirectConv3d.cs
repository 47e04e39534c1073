namespace Ffn.Model.Runtime;

/// <summary>
/// A direct 3D convolution ('same' zero padding, stride 1) and its two gradients, in double precision, written
/// independently of libtorch: the reference the kernel self-check compares libtorch's results with. Each output
/// also gets the sum of the absolute values of the terms it adds up, which bounds the rounding error that any
/// correct float32 kernel may make.
/// </summary>
public static class DirectConv3d
{
    public readonly record struct Shape(int N, int Cin, int Cout, int K, int D, int H, int W)
    {
        public int Pad => K / 2;
        public int Voxels => D * H * W;
        public int Taps => K * K * K;
        public int InputLength => N * Cin * Voxels;
        public int OutputLength => N * Cout * Voxels;
        public int WeightLength => Cout * Cin * Taps;
        public override string ToString() => $"{Cin}->{Cout} k{K} n{N} {D}x{H}x{W}";
    }

    /// <summary>y[n,o,p] = b[o] + sum over i and taps d of w[o,i,d] * x[n,i,p+d].</summary>
    public static (double[] Value, double[] Bound) Forward(Shape s, float[] x, float[] w, float[] b)
    {
        var y = new double[s.OutputLength];
        var bound = new double[s.OutputLength];
        Parallel.For(0, s.N * s.Cout, no =>
        {
            int n = no / s.Cout, o = no % s.Cout, outBase = no * s.Voxels;
            for (int v = 0; v < s.Voxels; v++)
            {
                y[outBase + v] = b[o];
                bound[outBase + v] = Math.Abs(b[o]);
            }
            for (int i = 0; i < s.Cin; i++)
            {
                int inBase = (n * s.Cin + i) * s.Voxels;
                for (int tap = 0; tap < s.Taps; tap++)
                {
                    double wt = w[(o * s.Cin + i) * s.Taps + tap];
                    foreach (var (outIdx, inIdx, len) in Runs(s, tap))
                        for (int t = 0; t < len; t++)
                        {
                            double p = wt * x[inBase + inIdx + t];
                            y[outBase + outIdx + t] += p;
                            bound[outBase + outIdx + t] += Math.Abs(p);
                        }
                }
            }
        });
        return (y, bound);
    }

    /// <summary>dL/dx given dL/dy = g: x[n,i,q] receives g[n,o,q-d] * w[o,i,d].</summary>
    public static (double[] Value, double[] Bound) InputGradient(Shape s, float[] g, float[] w)
    {
        var gx = new double[s.InputLength];
        var bound = new double[s.InputLength];
        Parallel.For(0, s.N * s.Cin, ni =>
        {
            int n = ni / s.Cin, i = ni % s.Cin, dstBase = ni * s.Voxels;
            for (int o = 0; o < s.Cout; o++)
            {
                int gBase = (n * s.Cout + o) * s.Voxels;
                for (int tap = 0; tap < s.Taps; tap++)
                {
                    double wt = w[(o * s.Cin + i) * s.Taps + tap];
                    foreach (var (outIdx, inIdx, len) in Runs(s, tap))
                        for (int t = 0; t < len; t++)
                        {
                            double p = wt * g[gBase + outIdx + t];
                            gx[dstBase + inIdx + t] += p;
                            bound[dstBase + inIdx + t] += Math.Abs(p);
                        }
                }
            }
        });
        return (gx, bound);
    }

    /// <summary>dL/dw[o,i,d] = sum over n and p of g[n,o,p] * x[n,i,p+d]; dL/db[o] = sum over n and p of g[n,o,p].</summary>
    public static (double[] Value, double[] Bound, double[] Bias, double[] BiasBound) WeightGradient(Shape s, float[] g, float[] x)
    {
        var gw = new double[s.WeightLength];
        var bound = new double[s.WeightLength];
        Parallel.For(0, s.Cout * s.Cin, oi =>
        {
            int o = oi / s.Cin, i = oi % s.Cin;
            for (int tap = 0; tap < s.Taps; tap++)
            {
                double acc = 0, abs = 0;
                for (int n = 0; n < s.N; n++)
                {
                    int gBase = (n * s.Cout + o) * s.Voxels, xBase = (n * s.Cin + i) * s.Voxels;
                    foreach (var (outIdx, inIdx, len) in Runs(s, tap))
                        for (int t = 0; t < len; t++)
                        {
                            double p = (double)g[gBase + outIdx + t] * x[xBase + inIdx + t];
                            acc += p;
                            abs += Math.Abs(p);
                        }
                }
                gw[oi * s.Taps + tap] = acc;
                bound[oi * s.Taps + tap] = abs;
            }
        });
        var gb = new double[s.Cout];
        var bb = new double[s.Cout];
        for (int o = 0; o < s.Cout; o++)
            for (int n = 0; n < s.N; n++)
                for (int v = 0; v < s.Voxels; v++)
                {
                    double p = g[(n * s.Cout + o) * s.Voxels + v];
                    gb[o] += p;
                    bb[o] += Math.Abs(p);
                }
        return (gw, bound, gb, bb);
    }

    /// <summary>
    /// For tap index <paramref name="tap"/> (offset d), the runs along x (output index, input index, length) where
    /// output position p reads input position p + d with both inside the volume.
    /// </summary>
    private static IEnumerable<(int Out, int In, int Length)> Runs(Shape s, int tap)
    {
        int dz = tap / (s.K * s.K) - s.Pad, dy = tap / s.K % s.K - s.Pad, dx = tap % s.K - s.Pad;
        int x0 = Math.Max(0, -dx), x1 = Math.Min(s.W, s.W - dx);
        if (x1 <= x0) yield break;
        for (int z = Math.Max(0, -dz); z < Math.Min(s.D, s.D - dz); z++)
            for (int y = Math.Max(0, -dy); y < Math.Min(s.H, s.H - dy); y++)
                yield return ((z * s.H + y) * s.W + x0, ((z + dz) * s.H + y + dy) * s.W + x0 + dx, x1 - x0);
    }
}
