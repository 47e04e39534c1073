using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// <c>skimage.feature.peak_local_max</c> of scikit-image 0.19.3 for a 3-D image without labels or a custom
/// footprint (the form google/ffn calls), with the default Chebyshev spacing (<c>p_norm=inf</c>).
/// </summary>
public static class PeakFinder
{
    /// <summary>
    /// Peaks of <paramref name="image"/>, highest first. A voxel is a peak when no voxel in the
    /// (2·minDistance+1)³ cube around it is greater (outside the image counts as 0: SciPy's maximum_filter with
    /// mode 'constant'), it is above the threshold (strictly), and it is not within the excluded border; unless the
    /// whole image is one plateau of such maxima, which yields no peaks. Peaks are then taken in descending order of
    /// intensity, dropping any closer than minDistance (Chebyshev) to one already kept (skimage's ensure_spacing,
    /// whose batching does not change the greedy result), and at most <paramref name="numPeaks"/> are returned.
    /// </summary>
    /// <param name="thresholdAbs">Minimum intensity; null means the image minimum.</param>
    /// <param name="thresholdRel">If set, the threshold is at least this times the image maximum.</param>
    /// <param name="excludeBorder">Border widths (z, y, x) without peaks; null means minDistance on every axis
    /// (skimage's <c>exclude_border=True</c>), <see cref="Vec3i.Zero"/> means none.</param>
    /// <remarks>Ties in intensity are ordered by C-order position (NumPy's argsort is not stable, so exact ties
    /// could order differently there; google/ffn adds random noise precisely so that there are none). The image
    /// must not contain NaN.</remarks>
    public static Vec3i[] PeakLocalMax(Volume<double> image, int minDistance = 1, double? thresholdAbs = null,
        double? thresholdRel = null, Vec3i? excludeBorder = null, int numPeaks = int.MaxValue)
    {
        if (minDistance < 0) throw new ArgumentOutOfRangeException(nameof(minDistance), "must be non-negative");
        var border = excludeBorder ?? Vec3i.Fill(minDistance);
        if (border.Z < 0 || border.Y < 0 || border.X < 0)
            throw new ArgumentOutOfRangeException(nameof(excludeBorder), "exclude_border cannot be negative");
        if (image.Length == 0 || numPeaks <= 0) return [];

        double threshold = thresholdAbs ?? Min(image.Data);
        if (thresholdRel is { } rel)
        {
            double relative = rel * Max(image.Data);
            if (relative > threshold) threshold = relative; // Python's max(threshold, rel * max)
        }

        var candidates = minDistance == 0 || image.Length == 1
            ? AboveThreshold(image, threshold, border)
            : LocalMaxima(image, minDistance, threshold, border);

        var intensities = new double[candidates.Length];
        for (int i = 0; i < candidates.Length; i++) intensities[i] = image[candidates[i]];
        var order = Enumerable.Range(0, candidates.Length)
            .OrderByDescending(i => intensities[i]).ThenBy(i => i).Select(i => candidates[i]);
        return EnsureSpacing(order, minDistance, numPeaks);
    }

    /// <summary>
    /// skimage's ensure_spacing with p_norm=inf: keeps, in the given order, each point that is not closer than
    /// <paramref name="spacing"/> (Chebyshev distance &lt; spacing) to a point already kept, stopping after
    /// <paramref name="maxOut"/> points.
    /// </summary>
    public static Vec3i[] EnsureSpacing(IEnumerable<Vec3i> points, double spacing, int maxOut = int.MaxValue)
    {
        var kept = new List<Vec3i>();
        if (maxOut <= 0) return [];
        if (!(spacing > 0))
        {
            foreach (var p in points)
            {
                kept.Add(p);
                if (kept.Count >= maxOut) break;
            }
            return [.. kept];
        }
        // Cells of side ceil(spacing): a point closer than spacing lies in the same or an adjacent cell.
        int cell = (int)Math.Ceiling(spacing);
        var grid = new Dictionary<(int, int, int), List<Vec3i>>();
        foreach (var p in points)
        {
            var c = (FloorDiv(p.Z, cell), FloorDiv(p.Y, cell), FloorDiv(p.X, cell));
            bool tooClose = false;
            for (int dz = -1; dz <= 1 && !tooClose; dz++)
            for (int dy = -1; dy <= 1 && !tooClose; dy++)
            for (int dx = -1; dx <= 1 && !tooClose; dx++)
            {
                if (!grid.TryGetValue((c.Item1 + dz, c.Item2 + dy, c.Item3 + dx), out var list)) continue;
                foreach (var q in list)
                {
                    int cheb = Math.Max(Math.Abs(p.Z - q.Z), Math.Max(Math.Abs(p.Y - q.Y), Math.Abs(p.X - q.X)));
                    if (cheb < spacing) { tooClose = true; break; }
                }
            }
            if (tooClose) continue;
            kept.Add(p);
            if (!grid.TryGetValue(c, out var own)) grid[c] = own = [];
            own.Add(p);
            if (kept.Count >= maxOut) break;
        }
        return [.. kept];
    }

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static double Min(double[] data)
    {
        double m = double.PositiveInfinity;
        foreach (var v in data) if (v < m) m = v;
        return m;
    }

    private static double Max(double[] data)
    {
        double m = double.NegativeInfinity;
        foreach (var v in data) if (v > m) m = v;
        return m;
    }

    /// <summary>The footprint-of-one case: <c>image &gt; threshold</c> outside the border, in C order.</summary>
    private static Vec3i[] AboveThreshold(Volume<double> image, double threshold, Vec3i border)
    {
        var s = image.Shape;
        var result = new List<Vec3i>();
        for (int z = border.Z; z < s.Z - border.Z; z++)
        for (int y = border.Y; y < s.Y - border.Y; y++)
        for (int x = border.X; x < s.X - border.X; x++)
            if (image[z, y, x] > threshold) result.Add(new Vec3i(z, y, x));
        return [.. result];
    }

    /// <summary>
    /// Voxels equal to the maximum of their window (nothing in it greater), above the threshold and outside the
    /// border, in C order (np.nonzero's order). Only voxels that can survive the threshold and border are tested;
    /// the plateau rule (every voxel a maximum ⇒ no peaks) needs the rest only when all tested ones are maxima.
    /// </summary>
    private static Vec3i[] LocalMaxima(Volume<double> image, int r, double threshold, Vec3i border)
    {
        var s = image.Shape;
        var window = new Window(s, r);
        int z0 = border.Z, z1 = s.Z - border.Z;
        var perPlane = new List<Vec3i>[Math.Max(0, z1 - z0)];
        int sawNonMaximum = 0;
        Parallel.For(z0, Math.Max(z0, z1), z =>
        {
            var found = new List<Vec3i>();
            bool nonMax = false;
            for (int y = border.Y; y < s.Y - border.Y; y++)
            for (int x = border.X; x < s.X - border.X; x++)
            {
                double v = image[z, y, x];
                if (!(v > threshold)) continue;
                if (window.IsMaximum(image.Data, z, y, x)) found.Add(new Vec3i(z, y, x));
                else nonMax = true;
            }
            perPlane[z - z0] = found;
            if (nonMax) Interlocked.Exchange(ref sawNonMaximum, 1);
        });
        var all = perPlane.SelectMany(l => l).ToArray();
        if (all.Length > 0 && sawNonMaximum == 0 && IsPlateau(image, window)) return [];
        return all;
    }

    private static bool IsPlateau(Volume<double> image, Window window)
    {
        var s = image.Shape;
        for (int z = 0; z < s.Z; z++)
        for (int y = 0; y < s.Y; y++)
        for (int x = 0; x < s.X; x++)
            if (!window.IsMaximum(image.Data, z, y, x)) return false;
        return true;
    }

    /// <summary>The (2r+1)³ neighbourhood, nearest shells first so that most non-maxima are rejected early; the
    /// order changes only speed, never the answer.</summary>
    private sealed class Window
    {
        private readonly Vec3i _shape;
        private readonly int _r;
        private readonly Vec3i[] _offsets;
        private readonly long[] _linear;

        public Window(Vec3i shape, int r)
        {
            _shape = shape;
            _r = r;
            var offsets = new List<Vec3i>();
            for (int dz = -r; dz <= r; dz++)
            for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++)
                if (dz != 0 || dy != 0 || dx != 0) offsets.Add(new Vec3i(dz, dy, dx));
            _offsets = [.. offsets
                .OrderBy(o => Math.Max(Math.Abs(o.Z), Math.Max(Math.Abs(o.Y), Math.Abs(o.X))))
                .ThenBy(o => Math.Abs(o.Z) + Math.Abs(o.Y) + Math.Abs(o.X))
                .ThenBy(o => Math.Abs(o.Z)).ThenBy(o => Math.Abs(o.Y))]; // same-row, then same-plane: cache-near
            _linear = [.. _offsets.Select(o => ((long)o.Z * shape.Y + o.Y) * shape.X + o.X)];
        }

        public bool IsMaximum(double[] data, int z, int y, int x)
        {
            long c = ((long)z * _shape.Y + y) * _shape.X + x;
            double v = data[c];
            if (z >= _r && y >= _r && x >= _r && z + _r < _shape.Z && y + _r < _shape.Y && x + _r < _shape.X)
            {
                foreach (var o in _linear)
                    if (data[c + o] > v) return false;
                return true;
            }
            // The window leaves the image: outside counts as the constant 0.
            if (0.0 > v) return false;
            foreach (var o in _offsets)
            {
                int zz = z + o.Z, yy = y + o.Y, xx = x + o.X;
                if (zz < 0 || yy < 0 || xx < 0 || zz >= _shape.Z || yy >= _shape.Y || xx >= _shape.X) continue;
                if (data[((long)zz * _shape.Y + yy) * _shape.X + xx] > v) return false;
            }
            return true;
        }
    }
}
