using Ffn.Model.Volumes;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// Exact Euclidean distance transform with anisotropic voxel sizes (Felzenszwalb–Huttenlocher: one lower envelope
/// of parabolas per line, separable over axes 0, 1, 2), the same distances as
/// <c>scipy.ndimage.distance_transform_edt(input, sampling)</c>. Foreground (true) voxels get the distance to the
/// nearest background (false) voxel; background voxels get 0. With no background at all every distance is +∞ (the
/// <c>edt</c> package's answer; google/ffn turns non-finite distances into -1).
/// </summary>
public static class DistanceTransform
{
    /// <summary>
    /// Squared distances in float64, summed as SciPy does, ((Δz·sz)² + (Δy·sy)²) + (Δx·sx)², so that isotropic
    /// results are exact integers and anisotropic ones agree to the last bit except where two features lie at
    /// distances equal to within rounding.
    /// </summary>
    public static Volume<double> SquaredEuclidean(Volume<bool> foreground, (double Z, double Y, double X) sampling)
    {
        double[] s = [sampling.Z, sampling.Y, sampling.X];
        foreach (var v in s)
            if (!(v > 0) || double.IsInfinity(v))
                throw new ArgumentOutOfRangeException(nameof(sampling), $"voxel sizes must be positive, got {sampling}");
        var result = new Volume<double>(foreground.Shape, foreground.Offset);
        var d = result.Data;
        var fg = foreground.Data;
        Chunked.For(fg.Length, (a, b) =>
        {
            for (int i = a; i < b; i++) d[i] = fg[i] ? double.PositiveInfinity : 0.0;
        });
        for (int axis = 0; axis < 3; axis++)
        {
            var lines = AxisLines.ForBuffer(foreground.Shape, axis, 0);
            double step = s[axis];
            bool first = axis == 0;
            Parallel.For(0L, lines.Count, () => new PassBuffers(lines.Length, lines.Width),
                (g, _, buffers) =>
                {
                    TransformGroup(d, lines, g, step, first, buffers);
                    return buffers;
                }, _ => { });
        }
        return result;
    }

    /// <summary>Distances in float64: the square root of <see cref="SquaredEuclidean"/>, as SciPy returns.</summary>
    public static Volume<double> Euclidean(Volume<bool> foreground, (double Z, double Y, double X) sampling)
    {
        var result = SquaredEuclidean(foreground, sampling);
        var d = result.Data;
        Chunked.For(d.Length, (a, b) =>
        {
            for (int i = a; i < b; i++) d[i] = Math.Sqrt(d[i]);
        });
        return result;
    }

    private sealed class PassBuffers(int n, int width)
    {
        public readonly double[] Block = new double[n * width];
        public readonly int[] Nearest = new int[n * width];
        public readonly int[] Last = new int[width];
        public readonly double[] F = new double[n];
        public readonly double[] Out = new double[n];
        public readonly int[] V = new int[n];
        public readonly double[] Z = new double[n + 1];
    }

    private static void TransformGroup(double[] d, AxisLines lines, long g, double step, bool first, PassBuffers b)
    {
        var (base0, lineStep, count) = lines.Group(g);
        int n = lines.Length, w = lines.Width;
        long stride = lines.Stride;
        var block = b.Block;
        // Row-by-row copies keep the strided (z, y) passes reading whole cache lines.
        for (int k = 0; k < n; k++)
        {
            long at = base0 + k * stride;
            for (int j = 0; j < count; j++) block[k * w + j] = d[at + j * lineStep];
        }
        if (first)
            NearestBackground(block, n, w, count, step, b);
        else
            for (int j = 0; j < count; j++)
            {
                for (int k = 0; k < n; k++) b.F[k] = block[k * w + j];
                LowerEnvelope(b.F, b.Out, step, b.V, b.Z);
                for (int k = 0; k < n; k++) block[k * w + j] = b.Out[k];
            }
        for (int k = 0; k < n; k++)
        {
            long at = base0 + k * stride;
            for (int j = 0; j < count; j++) d[at + j * lineStep] = block[k * w + j];
        }
    }

    /// <summary>
    /// The first pass, on 0 (background) / +∞ input: the squared distance to the nearest background voxel along
    /// the line, by a forward and a backward scan over all lines of the group at once.
    /// </summary>
    private static void NearestBackground(double[] block, int n, int w, int count, double step, PassBuffers b)
    {
        const int None = int.MinValue / 2;
        var nearest = b.Nearest;
        var last = b.Last;
        Array.Fill(last, None, 0, count);
        for (int k = 0; k < n; k++)
        for (int j = 0; j < count; j++)
        {
            if (block[k * w + j] == 0) last[j] = k;
            nearest[k * w + j] = last[j];
        }
        Array.Fill(last, None, 0, count);
        for (int k = n - 1; k >= 0; k--)
        for (int j = 0; j < count; j++)
        {
            int i = k * w + j;
            if (block[i] == 0) last[j] = k;
            int before = nearest[i] == None ? int.MaxValue : k - nearest[i];
            int after = last[j] == None ? int.MaxValue : last[j] - k;
            int delta = Math.Min(before, after);
            double dd = delta * step;
            block[i] = delta == int.MaxValue ? double.PositiveInfinity : dd * dd;
        }
    }

    /// <summary>
    /// out[p] = min over q of f[q] + ((p - q)·step)², skipping f[q] = +∞. v holds the envelope's parabola apexes
    /// and z the boundaries between them.
    /// </summary>
    private static void LowerEnvelope(double[] f, double[] result, double step, int[] v, double[] z)
    {
        int n = f.Length;
        double s2 = step * step;
        int k = -1;
        for (int q = 0; q < n; q++)
        {
            if (double.IsPositiveInfinity(f[q])) continue;
            if (k < 0)
            {
                k = 0;
                v[0] = q;
                z[0] = double.NegativeInfinity;
                z[1] = double.PositiveInfinity;
                continue;
            }
            double cross;
            while (true)
            {
                int r = v[k];
                // Where the parabolas from r and q meet; for unit steps the numerator and denominator are exact
                // integers, so the comparisons below are exact too.
                cross = ((f[q] + s2 * ((double)q * q)) - (f[r] + s2 * ((double)r * r))) / (2.0 * s2 * (q - r));
                if (cross > z[k]) break;
                k--; // z[0] = -∞ stops this before k goes negative
            }
            k++;
            v[k] = q;
            z[k] = cross;
            z[k + 1] = double.PositiveInfinity;
        }
        if (k < 0)
        {
            Array.Fill(result, double.PositiveInfinity);
            return;
        }
        k = 0;
        for (int p = 0; p < n; p++)
        {
            while (z[k + 1] < p) k++;
            double delta = (p - v[k]) * step;
            result[p] = f[v[k]] + delta * delta;
        }
    }
}
