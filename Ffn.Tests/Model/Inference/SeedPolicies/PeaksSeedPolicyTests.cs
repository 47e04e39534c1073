using System.Diagnostics;
using System.Globalization;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using Xunit.Abstractions;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>
/// PolicyPeaks against google/ffn's recorded candidate list and, stage by stage, against the same pipeline in
/// SciPy/scikit-image (google/ffn's seed.py with its <c>edt</c> call done by SciPy, as the test vector was made).
/// </summary>
public class PeaksSeedPolicyTests(ITestOutputHelper log)
{
    private static readonly Vec3i Fib25Margin = new(16, 16, 16);

    /// <summary>google/ffn's PolicyPeaks.init_coords and BaseSeedPolicy's margin filter, on <c>img</c>.</summary>
    /// <remarks>Also returns the smallest |edges − thresh| in float32 ulps: SciPy's Gaussian kernel comes from NumPy's
    /// exp, whose last bit depends on the CPU, so the seeds are CPU-independent only if no voxel is that close.</remarks>
    private const string PolicyPeaksPython = SeedOracle.CheckPeakLocalMaxPython + """
        from scipy import ndimage
        def policy_peaks(img, voxel_size, margin, mask=None, restrict=None):
            edges = ndimage.generic_gradient_magnitude(img.astype(np.float32), ndimage.sobel)
            thresh = np.zeros(edges.shape, dtype=np.float32)
            ndimage.gaussian_filter(edges, 49.0 / 6.0, output=thresh, mode='reflect')
            ordered = lambda f: np.where(f.view(np.int32) < 0, np.int64(-2**31) - f.view(np.int32), f.view(np.int32))
            margin_ulps = np.abs(ordered(edges) - ordered(thresh)).min()
            filt_edges = edges > thresh
            if restrict is not None:
                mask = restrict if mask is None else (mask | restrict)
                filt_edges[restrict] = 1
            dt = ndimage.distance_transform_edt(1 - filt_edges, sampling=voxel_size).astype(np.float32)
            if mask is not None:
                dt[mask] = -1
            dt[~np.isfinite(dt)] = -1
            noisy = dt + np.random.RandomState(seed=42).rand(*dt.shape) * 1e-4
            idxs = skimage.feature.peak_local_max(noisy, min_distance=3, threshold_abs=0, threshold_rel=0)
            idxs = np.array(sorted((z, y, x) for z, y, x in idxs), dtype=np.int64).reshape(-1, 3)
            m = np.array(margin)[np.newaxis, ...]
            kept = idxs[np.all((idxs - m >= 0) & (idxs + m < np.array(img.shape)), axis=1), :]
            return noisy, idxs, kept, np.array(margin_ulps, dtype=np.int64)

        """;

    [Fact]
    public void TestVectorCandidatesEqualGoogle()
    {
        var expected = SeedOracle.Coords(SeedOracle.Run($"""
            import h5py
            f = h5py.File({SeedOracle.Quote(TestData.SharedFile("testvectors", "inference_expected_google_fib25_ts1_64x96x96.h5"))}, 'r')
            out['c'] = f['seed_policy_coords'][...].astype(np.int64)
            """, new Dictionary<string, NdArray>())["c"]);

        var policy = SeedPolicyRegistry.Create("PolicyPeaks", SeedOracle.TestVectorImage(), Fib25Margin, (1, 1, 1));
        Assert.False(policy.IsInitialized); // lazy: nothing computed before the first request
        var seeds = new List<Vec3i>();
        while (policy.TryNext(out var s)) seeds.Add(s);

        log.WriteLine($"google/ffn: {expected.Length} candidates; ours: {seeds.Count}");
        Assert.Equal(156, expected.Length);
        Assert.Equal(expected, seeds);
        Assert.Equal(expected, policy.Candidates);
        Assert.Equal(seeds.Count, policy.Position);
    }

    [Fact]
    public void TestVectorStagesEqualScipyAndSkimage()
    {
        var image = SeedOracle.TestVectorImage();
        var py = SeedOracle.Run(SeedOracle.TestVectorImagePython + PolicyPeaksPython + """
            noisy, idxs, kept, out['margin'] = policy_peaks(img, (1, 1, 1), (16, 16, 16))
            out['noisy'] = noisy
            out['idxs'] = idxs
            """, new Dictionary<string, NdArray>());
        AssertMarginBeyondLastBits(py["margin"]);

        var noisy = PeaksSeedPolicy.NoisyDistance(PeaksSeedPolicy.EdgeMask(image), (1, 1, 1));
        // dt (float32) + noise, bit for bit: EDT is √ of integer sums, the noise MT19937; the same on every CPU.
        Assert.Equal(py["noisy"].Get<double>(), noisy.Data);
        var all = PeaksSeedPolicy.FindPeaks(image, (1, 1, 1));
        Assert.NotNull(all);
        log.WriteLine($"peaks before the margin filter: {all.Length}");
        Assert.Equal(SeedOracle.Coords(py["idxs"]), all);
    }

    [Theory]
    [InlineData(1.0, 1.0, 1.0, false, false)]
    [InlineData(2.0, 1.0, 1.0, true, false)]
    [InlineData(1.0, 0.6, 1.7, false, false)]
    [InlineData(1.0, 1.0, 1.0, true, true)]
    public void SyntheticVolumeEqualsPythonPipeline(double vz, double vy, double vx, bool withExclusion,
        bool withRestrictor)
    {
        // Blobs of random brightness: cells and membranes in caricature, with noise.
        var shape = new Vec3i(30, 41, 37);
        var margin = new Vec3i(4, 6, 5);
        var image = EdgeFilters.GaussianFilter(SeedOracle.RandomFloats(shape, seed: 3, scale: 40f), 2.0);
        Volume<bool>? excluded = null;
        if (withExclusion)
        {
            excluded = new Volume<bool>(shape);
            for (int z = 5; z < 20; z++)
            for (int y = 10; y < 30; y++)
            for (int x = 0; x < 15; x++)
                excluded[z, y, x] = true;
        }
        Volume<bool>? restrictor = null;
        if (withRestrictor)
        {
            restrictor = new Volume<bool>(shape);
            for (int z = 0; z < shape.Z; z++)
            for (int y = 25; y < shape.Y; y++)
            for (int x = 20; x < shape.X; x++)
                restrictor[z, y, x] = true;
        }
        var inputs = new Dictionary<string, NdArray> { ["img"] = SeedOracle.Array(image) };
        if (excluded != null) inputs["mask"] = SeedOracle.Array(excluded);
        if (restrictor != null) inputs["restrict"] = SeedOracle.Array(restrictor);
        var py = SeedOracle.Run(PolicyPeaksPython + """
            vs = tuple(float(v) for v in sys.argv[3:6])
            margin = tuple(int(v) for v in sys.argv[6:9])
            noisy, idxs, out['kept'], out['margin'] = policy_peaks(inp['img'], vs, margin, inp.get('mask'), inp.get('restrict'))
            """, inputs, S(vz), S(vy), S(vx), S(margin.Z), S(margin.Y), S(margin.X));
        AssertMarginBeyondLastBits(py["margin"]);
        var expected = SeedOracle.Coords(py["kept"]);

        var policy = new PeaksSeedPolicy(image, margin, (vz, vy, vx), () => excluded, restrictor);
        log.WriteLine($"voxel size ({vz}, {vy}, {vx}), exclusion {withExclusion}, restrictor {withRestrictor}: " +
                      $"Python {expected.Length} seeds, ours {policy.Candidates.Count}");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, policy.Candidates);
        if (excluded != null) Assert.DoesNotContain(policy.Candidates, c => excluded[c]);
        if (restrictor != null) Assert.DoesNotContain(policy.Candidates, c => restrictor[c]);
    }

    [Fact]
    public void ExclusionMaskIsReadWhenCandidatesAreFirstNeeded()
    {
        var image = EdgeFilters.GaussianFilter(SeedOracle.RandomFloats(new Vec3i(24, 30, 30), seed: 4, scale: 40f), 2.0);
        var excluded = new Volume<bool>(image.Shape);
        var policy = new PeaksSeedPolicy(image, new Vec3i(3, 3, 3), (1, 1, 1), () => excluded);
        var free = new PeaksSeedPolicy(image, new Vec3i(3, 3, 3), (1, 1, 1)).Candidates;
        Assert.NotEmpty(free);
        excluded[free[0]] = true; // "segmented" after construction, before the first TryNext
        Assert.True(policy.TryNext(out var first));
        Assert.NotEqual(free[0], first);
        Assert.DoesNotContain(free[0], policy.Candidates);
    }

    [Fact]
    public void AllEdgesGiveNoCandidates()
    {
        var image = SeedOracle.RandomFloats(new Vec3i(12, 12, 12), seed: 1);
        var restrictor = new Volume<bool>(image.Shape);
        Array.Fill(restrictor.Data, true);
        var policy = new PeaksSeedPolicy(image, Vec3i.One, (1, 1, 1), restrictorMask: restrictor);
        Assert.False(policy.TryNext(out _));
        Assert.True(policy.IsInitialized);
        Assert.Empty(policy.Candidates);
        Assert.Null(PeaksSeedPolicy.FindPeaks(image, (1, 1, 1), restrictorMask: restrictor));
    }

    [Fact]
    public void StateCanBeSavedAndRestored()
    {
        var image = SeedOracle.TestVectorImage();
        var a = SeedPolicyRegistry.Create("PolicyPeaks", image, Fib25Margin, (1, 1, 1));
        for (int i = 0; i < 10; i++) Assert.True(a.TryNext(out _));
        var (saved, position) = (a.Candidates.ToArray(), a.Position);

        var b = SeedPolicyRegistry.Create("PolicyPeaks", image, Fib25Margin, (1, 1, 1));
        b.Restore(saved, position - 1); // Google's get_state(previous=True): redo the in-progress seed
        Assert.True(b.IsInitialized);
        Assert.True(b.TryNext(out var redo));
        Assert.Equal(saved[9], redo);
        Assert.True(a.TryNext(out var next));
        Assert.True(b.TryNext(out var nextB));
        Assert.Equal(next, nextB);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Position = -1);
    }

    [Fact]
    public void TestVectorRunsInUnderASecond()
    {
        var image = SeedOracle.TestVectorImage();
        PeaksSeedPolicy.FindPeaks(image, (1, 1, 1)); // JIT warm-up
        var sw = Stopwatch.StartNew();
        var peaks = PeaksSeedPolicy.FindPeaks(image, (1, 1, 1));
        sw.Stop();
        log.WriteLine($"PolicyPeaks on 64x96x96: {sw.Elapsed.TotalMilliseconds:F0} ms ({peaks!.Length} peaks)");
        // Generous bound: the machine is shared; a typical run takes a small fraction of it.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
    }

    /// <summary>The seeds are compared exactly; that holds on every CPU only if no voxel's edge value is within a
    /// few ulps of its threshold (the oracle's threshold may differ from ours in the last bit).</summary>
    private void AssertMarginBeyondLastBits(NdArray margin)
    {
        long ulps = margin.Get<long>()[0];
        log.WriteLine($"smallest |edges - threshold|: {ulps} float32 ulps");
        Assert.True(ulps > 4, $"an edge value is {ulps} ulps from its threshold: the seeds would depend on the CPU");
    }

    private static string S(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
