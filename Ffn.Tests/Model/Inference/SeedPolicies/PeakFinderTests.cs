using System.Globalization;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Xunit.Abstractions;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>Our peak_local_max against scikit-image's (0.19.3's behaviour, checked by the oracle), coordinates and order.</summary>
public class PeakFinderTests(ITestOutputHelper log)
{
    /// <summary>A smooth random field (blurred noise) plus tiny noise, so peaks are meaningful and unique.</summary>
    private static Volume<double> Field(Vec3i shape, int seed)
    {
        var blurred = EdgeFilters.GaussianFilter(SeedOracle.RandomFloats(shape, seed), 0.8);
        var rng = new Random(seed + 1000);
        var v = new Volume<double>(shape);
        for (long i = 0; i < v.Length; i++) v.Data[i] = blurred.Data[i] + rng.NextDouble() * 1e-4;
        return v;
    }

    [Theory]
    // min_distance, threshold_abs ("None" or value), threshold_rel, exclude_border ("True", "False" or int), num_peaks
    [InlineData(3, "0", "0", "True", "inf")]
    [InlineData(1, "None", "None", "True", "inf")]
    [InlineData(2, "0.05", "None", "False", "inf")]
    [InlineData(3, "None", "0.5", "1", "inf")]
    [InlineData(4, "-1", "0", "False", "7")]
    [InlineData(0, "0.1", "None", "True", "inf")]
    public void EqualsSkimage(int minDistance, string thresholdAbs, string thresholdRel, string excludeBorder,
        string numPeaks)
    {
        var image = Field(new Vec3i(21, 26, 24), seed: 11 + minDistance);
        var py = SeedOracle.Run(SeedOracle.CheckPeakLocalMaxPython + """
            md = int(sys.argv[3])
            ta = None if sys.argv[4] == 'None' else float(sys.argv[4])
            tr = None if sys.argv[5] == 'None' else float(sys.argv[5])
            eb = {'True': True, 'False': False}.get(sys.argv[6]) if sys.argv[6] in ('True', 'False') else int(sys.argv[6])
            npk = np.inf if sys.argv[7] == 'inf' else int(sys.argv[7])
            out['p'] = np.asarray(skimage.feature.peak_local_max(inp['img'], min_distance=md, threshold_abs=ta,
                threshold_rel=tr, exclude_border=eb, num_peaks=npk), dtype=np.int64).reshape(-1, 3)
            """, new Dictionary<string, NdArray> { ["img"] = SeedOracle.Array(image) },
            minDistance.ToString(CultureInfo.InvariantCulture), thresholdAbs, thresholdRel, excludeBorder, numPeaks);
        var expected = SeedOracle.Coords(py["p"]);

        Vec3i? border = excludeBorder switch
        {
            "True" => null,
            "False" => Vec3i.Zero,
            _ => Vec3i.Fill(int.Parse(excludeBorder, CultureInfo.InvariantCulture)),
        };
        var actual = PeakFinder.PeakLocalMax(image, minDistance,
            thresholdAbs == "None" ? null : double.Parse(thresholdAbs, CultureInfo.InvariantCulture),
            thresholdRel == "None" ? null : double.Parse(thresholdRel, CultureInfo.InvariantCulture),
            border, numPeaks == "inf" ? int.MaxValue : int.Parse(numPeaks, CultureInfo.InvariantCulture));
        log.WriteLine($"min_distance {minDistance}: skimage {expected.Length} peaks, ours {actual.Length}");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TiedMaximaAreThinnedLikeSkimage()
    {
        // Equal maxima closer than min_distance are all maxima of their windows; ensure_spacing keeps the first.
        var image = new Volume<double>(new Vec3i(16, 17, 18));
        image[5, 5, 5] = 1;
        image[5, 5, 7] = 1;
        image[6, 4, 5] = 1;
        image[11, 11, 11] = 0.5;
        image[11, 12, 13] = 0.5;
        var expected = SeedOracle.Coords(SeedOracle.Run("""
            import skimage.feature
            out['p'] = np.asarray(skimage.feature.peak_local_max(inp['img'], min_distance=3, threshold_abs=0,
                threshold_rel=0), dtype=np.int64).reshape(-1, 3)
            """, new Dictionary<string, NdArray> { ["img"] = SeedOracle.Array(image) })["p"]);
        var actual = PeakFinder.PeakLocalMax(image, 3, thresholdAbs: 0, thresholdRel: 0);
        Assert.Equal([new Vec3i(5, 5, 5), new Vec3i(11, 11, 11)], expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void PlateauHasNoPeaks()
    {
        var image = new Volume<double>(new Vec3i(9, 9, 9));
        Array.Fill(image.Data, 2.0);
        Assert.Empty(PeakFinder.PeakLocalMax(image, 2, thresholdAbs: 0));
        image[4, 4, 4] = 3.0;
        Assert.Equal([new Vec3i(4, 4, 4)], PeakFinder.PeakLocalMax(image, 2, thresholdAbs: 0));
    }

    [Fact]
    public void EnsureSpacingKeepsGreedyChebyshevOrder()
    {
        Vec3i[] points = [new(0, 0, 0), new(2, 2, 2), new(3, 0, 0), new(1, 5, 1), new(5, 5, 5), new(3, 3, 3)];
        // (2,2,2) is at Chebyshev 2 < 3 from (0,0,0); (3,3,3) at 2 from (5,5,5); the rest are at least 3 apart.
        Assert.Equal([new(0, 0, 0), new(3, 0, 0), new(1, 5, 1), new(5, 5, 5)], PeakFinder.EnsureSpacing(points, 3));
        Assert.Equal([new(0, 0, 0), new(3, 0, 0)], PeakFinder.EnsureSpacing(points, 3, maxOut: 2));
    }
}
