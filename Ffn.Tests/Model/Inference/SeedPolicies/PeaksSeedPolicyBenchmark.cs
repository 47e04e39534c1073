using System.Diagnostics;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using Xunit.Abstractions;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>
/// Opt-in timing of PolicyPeaks on a 128x512x512 block of real EM (training_sample1 mirrored to size), checked
/// against the Python pipeline on the same block. Too slow for every run, so it does nothing unless
/// FFN_SEED_BENCH=1:
/// <c>dotnet test -c Release Ffn.Tests --filter "FullyQualifiedName~SeedPolicyBenchmark" -e FFN_SEED_BENCH=1 --logger "console;verbosity=detailed"</c>.
/// </summary>
public class PeaksSeedPolicyBenchmark(ITestOutputHelper log)
{
    [Fact]
    public void SeedPolicyBenchmark128x512x512()
    {
        if (Environment.GetEnvironmentVariable("FFN_SEED_BENCH") != "1")
        {
            log.WriteLine("set FFN_SEED_BENCH=1 to run this benchmark");
            return;
        }
        var shape = new Vec3i(128, 512, 512);
        var path = TestData.SharedFile("data", "fib25", "training_sample1.h5");
        using var reader = Hdf5VolumeReader.Open(path, "raw");
        var src = reader.Read(reader.Info.Box).As<byte>();
        var image = new Volume<float>(shape);
        Parallel.For(0, shape.Z, z =>
        {
            for (int y = 0; y < shape.Y; y++)
            for (int x = 0; x < shape.X; x++)
            {
                var raw = src[Mirror(z, src.Shape.Z), Mirror(y, src.Shape.Y), Mirror(x, src.Shape.X)];
                image[z, y, x] = ((float)raw - 128f) / 33f;
            }
        });

        Vec3i[]? peaks = null;
        for (int run = 0; run < 2; run++)
        {
            var sw = Stopwatch.StartNew();
            peaks = PeaksSeedPolicy.FindPeaks(image, (1, 1, 1));
            log.WriteLine($"run {run}: PolicyPeaks on {shape}: {sw.Elapsed.TotalSeconds:F2} s, {peaks!.Length} peaks, " +
                          $"{Environment.ProcessorCount} CPUs");
        }

        var pySw = Stopwatch.StartNew();
        var py = SeedOracle.Run($"""
            import h5py, time
            from scipy import ndimage
            import skimage.feature
            src = h5py.File({SeedOracle.Quote(path)}, 'r')['raw'][...]
            def mirror(n, size):
                m = np.arange(size) % (2 * n)
                return np.where(m < n, m, 2 * n - 1 - m)
            raw = src[np.ix_(*(mirror(n, s) for n, s in zip(src.shape, ({shape.Z}, {shape.Y}, {shape.X}))))]
            img = (raw.astype(np.float32) - 128.0) / 33.0
            t = time.time()
            edges = ndimage.generic_gradient_magnitude(img, ndimage.sobel)
            thresh = np.zeros(edges.shape, dtype=np.float32)
            ndimage.gaussian_filter(edges, 49.0 / 6.0, output=thresh, mode='reflect')
            dt = ndimage.distance_transform_edt(1 - (edges > thresh)).astype(np.float32)
            noisy = dt + np.random.RandomState(seed=42).rand(*dt.shape) * 1e-4
            idxs = skimage.feature.peak_local_max(noisy, min_distance=3, threshold_abs=0, threshold_rel=0)
            out['p'] = np.array(sorted((z, y, x) for z, y, x in idxs), dtype=np.int64).reshape(-1, 3)
            out['seconds'] = np.array(time.time() - t)
            """, new Dictionary<string, NdArray>());
        log.WriteLine($"Python (SciPy, scikit-image): {py["seconds"].Get<double>()[0]:F1} s " +
                      $"(oracle total {pySw.Elapsed.TotalSeconds:F0} s)");
        Assert.Equal(SeedOracle.Coords(py["p"]), peaks);
    }

    /// <summary>Index into a volume of size n mirrored periodically (… c b a | a b c | c b a …).</summary>
    private static int Mirror(int i, int n)
    {
        int m = i % (2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }
}
