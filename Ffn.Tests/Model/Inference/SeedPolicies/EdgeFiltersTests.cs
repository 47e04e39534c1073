using System.Globalization;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using Xunit.Abstractions;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>
/// Our SciPy-style filters against scipy.ndimage. Correlations, Sobel and the gradient magnitude use only
/// +, −, ×, √ (SciPy's C loops, NumPy's element-wise ufuncs), the same on every CPU: identical. A Gaussian's kernel
/// comes from NumPy's exp, whose last bit depends on the CPU (AVX-512 or not): within a few ulps.
/// </summary>
public class EdgeFiltersTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(49.0 / 6.0)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(0.3)]
    [InlineData(17.3)]
    public void GaussianKernelEqualsScipy(double sigma)
    {
        var radius = EdgeFilters.GaussianRadius(sigma);
        var py = SeedOracle.Run("""
            from scipy.ndimage._filters import _gaussian_kernel1d
            s = float(sys.argv[3])
            out['k'] = _gaussian_kernel1d(s, 0, int(4.0 * s + 0.5))
            """, new Dictionary<string, NdArray>(), sigma.ToString("R", CultureInfo.InvariantCulture));
        var expected = py["k"].Get<double>();
        Assert.Equal(expected.Length, 2 * radius + 1);
        // NumPy's AVX-512 exp is up to 2 ulps from glibc's (Math.Exp): 1e-12 passes that, not a wrong kernel.
        var summary = FloatAssert.Close(expected, EdgeFilters.GaussianKernel1D(sigma, radius), rel: 1e-12,
            what: $"Gaussian kernel, sigma {sigma}");
        log.WriteLine($"sigma {sigma}: {summary}");
    }

    [Fact]
    public void FiltersEqualScipyOnRandomVolume()
    {
        // z is shorter than the Gaussian radius (33), so the reflection wraps around more than once.
        var image = SeedOracle.RandomFloats(new Vec3i(11, 23, 37), seed: 5);
        var py = SeedOracle.Run("""
            from scipy import ndimage
            a = inp['a']
            general = np.array([0.3, -1.2, 0.5, 2.0])
            for axis in range(3):
                out[f'corr{axis}'] = ndimage.correlate1d(a, general, axis, mode='reflect')
                out[f'sobel{axis}'] = ndimage.sobel(a, axis)
            out['mag'] = ndimage.generic_gradient_magnitude(a, ndimage.sobel)
            for name, sigma in (('g49', 49.0 / 6.0), ('g17', 1.7)):
                g = np.zeros(a.shape, dtype=np.float32)
                ndimage.gaussian_filter(a, sigma, output=g, mode='reflect')
                out[name] = g
            """, new Dictionary<string, NdArray> { ["a"] = SeedOracle.Array(image) });

        for (int axis = 0; axis < 3; axis++)
        {
            Check($"correlate1d axis {axis}", py[$"corr{axis}"],
                EdgeFilters.Correlate1D(image, [0.3, -1.2, 0.5, 2.0], axis));
            Check($"sobel axis {axis}", py[$"sobel{axis}"], EdgeFilters.Sobel(image, axis));
        }
        Check("gradient magnitude", py["mag"], EdgeFilters.SobelGradientMagnitude(image));
        CheckGaussian("gaussian 49/6", py["g49"], EdgeFilters.GaussianFilter(image, 49.0 / 6.0));
        CheckGaussian("gaussian 1.7", py["g17"], EdgeFilters.GaussianFilter(image, 1.7));
    }

    [Fact]
    public void InPlaceCorrelationEqualsOutOfPlace()
    {
        var image = SeedOracle.RandomFloats(new Vec3i(9, 10, 40), seed: 9);
        var expected = EdgeFilters.Correlate1D(image, [1.0, 2.0, 1.0], 1);
        var copy = image.Clone();
        EdgeFilters.Correlate1D(copy, [1.0, 2.0, 1.0], 1, copy);
        Assert.Equal(expected.Data, copy.Data);
        Assert.NotEqual(image.Data, copy.Data);
    }

    [Fact]
    public void TestVectorEdgeMaskEqualsScipy()
    {
        var image = SeedOracle.TestVectorImage();
        var py = SeedOracle.Run(SeedOracle.TestVectorImagePython + """
            from scipy import ndimage
            edges = ndimage.generic_gradient_magnitude(img, ndimage.sobel)
            thresh = np.zeros(edges.shape, dtype=np.float32)
            ndimage.gaussian_filter(edges, 49.0 / 6.0, output=thresh, mode='reflect')
            out['edges'] = edges
            out['thresh'] = thresh
            out['filt'] = edges > thresh
            """, new Dictionary<string, NdArray>());

        var magnitude = EdgeFilters.SobelGradientMagnitude(image);
        Check("test-vector gradient magnitude", py["edges"], magnitude);
        CheckGaussian("test-vector threshold", py["thresh"], EdgeFilters.GaussianFilter(magnitude, PeaksSeedPolicy.ThresholdSigma));
        // The mask (and the seeds after it) stays exact: no voxel is within a few ulps of its threshold, so a
        // CPU-dependent last bit of the threshold cannot flip it.
        var margin = MinMarginUlps(py["edges"].Get<float>(), py["thresh"].Get<float>());
        log.WriteLine($"smallest |edges - threshold|: {margin.Ulps} ulps, at index {margin.Index}");
        Assert.True(margin.Ulps > 4, $"edges and threshold are {margin.Ulps} ulps apart at index {margin.Index}");
        var expected = py["filt"].Get<bool>();
        var mask = PeaksSeedPolicy.EdgeMask(image).Data;
        log.WriteLine($"edge voxels: ours {mask.Count(e => e)}, SciPy {expected.Count(e => e)}");
        Assert.Equal(expected.Count(e => e), mask.Count(e => e));
        Assert.Equal(expected, mask);
    }

    private void Check(string what, NdArray expected, Volume<float> actual) =>
        log.WriteLine($"{what}: {FloatAssert.Identical(expected.Get<float>(), actual.Data, what)}");

    /// <summary>Within 1e-6 relative, or 1e-6 of the largest value where the sum cancels to near 0.</summary>
    private void CheckGaussian(string what, NdArray expected, Volume<float> actual)
    {
        var e = expected.Get<float>();
        log.WriteLine($"{what}: {FloatAssert.Close(e, actual.Data, rel: 1e-6, abs: 1e-6 * FloatAssert.MaxAbs(e), what)}");
    }

    private static (long Ulps, int Index) MinMarginUlps(float[] edges, float[] threshold)
    {
        (long Ulps, int Index) min = (long.MaxValue, -1);
        for (int i = 0; i < edges.Length; i++)
        {
            long u = FloatAssert.Ulps(edges[i], threshold[i]);
            if (u < min.Ulps) min = (u, i);
        }
        return min;
    }
}
