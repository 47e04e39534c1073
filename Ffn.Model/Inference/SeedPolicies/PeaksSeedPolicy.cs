using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// google/ffn's PolicyPeaks: seeds at points far from edges. Edges are voxels whose Sobel gradient magnitude
/// exceeds its Gaussian blur (σ = 49/6, mode 'reflect'); the seeds are the local maxima (min_distance 3) of the
/// Euclidean distance to the nearest edge, with NumPy <c>RandomState(42)</c> noise of 1e-4 to break ties, sorted
/// ascending by (z, y, x) and limited to valid FoV centres. Every stage reproduces SciPy 1.10 / scikit-image 0.19.3
/// bit for bit, so the candidate list equals Google's.
/// </summary>
public sealed class PeaksSeedPolicy : SeedPolicyBase
{
    public const string GoogleName = "PolicyPeaks";

    /// <summary>σ of the adaptive edge threshold, as in google/ffn.</summary>
    public const double ThresholdSigma = 49.0 / 6.0;

    public const int MinDistance = 3;
    public const uint NoiseSeed = 42;
    public const double NoiseScale = 1e-4;

    private readonly Volume<float> _image;
    private readonly (double Z, double Y, double X) _voxelSize;
    private readonly Func<Volume<bool>?>? _exclusionMask;
    private readonly Volume<bool>? _restrictorMask;

    /// <param name="image">The canvas image as the network sees it (normalised float32), (z, y, x).</param>
    /// <param name="margin">The canvas margin (FoV // 2).</param>
    /// <param name="voxelSize">Voxel size (z, y, x) for the distance transform (Google's voxel_size_zyx).</param>
    /// <param name="exclusionMask">Called once when the candidates are computed: voxels that may not be seeds
    /// (already segmented). Null or returning null: none (as at the start of a canvas).</param>
    /// <param name="restrictorMask">Voxels the canvas may not enter (Google's restrictor mask and seed mask):
    /// treated as edges and excluded.</param>
    public PeaksSeedPolicy(Volume<float> image, Vec3i margin, (double Z, double Y, double X) voxelSize,
        Func<Volume<bool>?>? exclusionMask = null, Volume<bool>? restrictorMask = null)
        : base(image.Shape, margin)
    {
        CheckShape(restrictorMask, image.Shape, "restrictor mask");
        _image = image;
        _voxelSize = voxelSize;
        _exclusionMask = exclusionMask;
        _restrictorMask = restrictorMask;
    }

    public override string Name => GoogleName;

    protected override IReadOnlyList<Vec3i>? ComputeCandidates()
    {
        var excluded = _exclusionMask?.Invoke();
        return FindPeaks(_image, _voxelSize, excluded, _restrictorMask);
    }

    /// <summary>
    /// The whole of Google's <c>PolicyPeaks.init_coords</c>: candidates sorted ascending by (z, y, x), before the
    /// margin filter; null when every voxel is an edge (Google then proposes nothing).
    /// </summary>
    public static Vec3i[]? FindPeaks(Volume<float> image, (double Z, double Y, double X) voxelSize,
        Volume<bool>? excluded = null, Volume<bool>? restrictorMask = null)
    {
        CheckShape(excluded, image.Shape, "exclusion mask");
        CheckShape(restrictorMask, image.Shape, "restrictor mask");
        var edges = EdgeMask(image);
        if (restrictorMask != null)
        {
            // Google marks restricted voxels as edges (so the masked area does not distort the distances) and
            // adds them to the exclusion mask.
            var combined = excluded?.Clone() ?? new Volume<bool>(image.Shape, image.Offset);
            for (long i = 0; i < edges.Length; i++)
                if (restrictorMask.Data[i]) edges.Data[i] = combined.Data[i] = true;
            excluded = combined;
        }
        if (Array.TrueForAll(edges.Data, e => e)) return null;

        var peakImage = NoisyDistance(edges, voxelSize, excluded);
        var peaks = PeakFinder.PeakLocalMax(peakImage, MinDistance, thresholdAbs: 0, thresholdRel: 0);
        Array.Sort(peaks, (a, b) =>
            a.Z != b.Z ? a.Z.CompareTo(b.Z) : a.Y != b.Y ? a.Y.CompareTo(b.Y) : a.X.CompareTo(b.X));
        return peaks;
    }

    /// <summary>Google's <c>filt_edges</c>: Sobel gradient magnitude &gt; its Gaussian blur (σ 49/6, reflect).</summary>
    public static Volume<bool> EdgeMask(Volume<float> image)
    {
        var magnitude = EdgeFilters.SobelGradientMagnitude(image);
        var threshold = EdgeFilters.GaussianFilter(magnitude, ThresholdSigma);
        var result = new Volume<bool>(image.Shape, image.Offset);
        var m = magnitude.Data;
        var t = threshold.Data;
        var r = result.Data;
        Chunked.For(r.Length, (a, b) =>
        {
            for (int i = a; i < b; i++) r[i] = m[i] > t[i];
        });
        return result;
    }

    /// <summary>
    /// The image Google gives peak_local_max: the float32 distance to the nearest edge (-1 where excluded or not
    /// finite) plus <c>RandomState(42).rand(*shape) * 1e-4</c>, in float64.
    /// </summary>
    public static Volume<double> NoisyDistance(Volume<bool> edges, (double Z, double Y, double X) voxelSize,
        Volume<bool>? excluded = null)
    {
        CheckShape(excluded, edges.Shape, "exclusion mask");
        var nonEdges = new Volume<bool>(edges.Shape, edges.Offset);
        var e = edges.Data;
        var ne = nonEdges.Data;
        Chunked.For(e.Length, (a, b) =>
        {
            for (int i = a; i < b; i++) ne[i] = !e[i];
        });
        var result = DistanceTransform.SquaredEuclidean(nonEdges, voxelSize);
        var d = result.Data;
        var ex = excluded?.Data;
        Chunked.For(d.Length, (a, b) =>
        {
            for (int i = a; i < b; i++)
            {
                float dt = (float)Math.Sqrt(d[i]); // SciPy's float64 distance, then astype(float32)
                if ((ex != null && ex[i]) || !float.IsFinite(dt)) dt = -1f;
                d[i] = dt;
            }
        });
        // The noise must be drawn in C order from one generator, so this part is sequential.
        var rng = new MersenneTwister(NoiseSeed);
        var noise = new double[Math.Min(1 << 16, d.Length)];
        for (int start = 0; start < d.Length; start += noise.Length)
        {
            int len = Math.Min(noise.Length, d.Length - start);
            rng.Fill(noise.AsSpan(0, len));
            for (int k = 0; k < len; k++) d[start + k] += noise[k] * NoiseScale;
        }
        return result;
    }

    private static void CheckShape(Volume<bool>? mask, Vec3i shape, string what)
    {
        if (mask != null && mask.Shape != shape)
            throw new ArgumentException($"{what} shape {mask.Shape} differs from image shape {shape}");
    }
}
