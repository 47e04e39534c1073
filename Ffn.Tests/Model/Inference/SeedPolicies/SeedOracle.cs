using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>
/// Exchanges arrays with the Python oracle (written against SciPy 1.10.1, scikit-image 0.19.3, NumPy 1.24) through .npz files:
/// the script finds the inputs in the dict <c>inp</c> and fills the dict <c>out</c>.
/// </summary>
internal static class SeedOracle
{
    private const string Prologue = """
        import sys, numpy as np
        inp = dict(np.load(sys.argv[1]))
        out = {}

        """;

    private const string Epilogue = """

        np.savez(sys.argv[2], **out)
        """;

    public static Dictionary<string, NdArray> Run(string script, IReadOnlyDictionary<string, NdArray> inputs,
        params string[] args)
    {
        using var dir = new TempDir();
        var input = dir.File("in.npz");
        var output = dir.File("out.npz");
        NpzFile.Write(input, inputs, compressed: false);
        PythonOracle.Run(Prologue + script + Epilogue, [input, output, .. args]);
        return NpzFile.ReadAll(output);
    }

    public static NdArray Array(Volume v) => NdArray.FromVolume(v);

    public static Volume<T> Vol<T>(NdArray a) where T : unmanaged => a.ToVolume("oracle").As<T>();

    /// <summary>Reads an [N, 3] int64 array of (z, y, x) rows.</summary>
    public static Vec3i[] Coords(NdArray a)
    {
        if (a.Count == 0) return [];
        if (a.Rank != 2 || a.Shape[1] != 3) throw new InvalidDataException($"expected [N, 3] coordinates, got {a.ShapeText}");
        var d = a.Get<long>();
        return [.. Enumerable.Range(0, (int)a.Shape[0]).Select(i => new Vec3i((int)d[3 * i], (int)d[3 * i + 1], (int)d[3 * i + 2]))];
    }

    /// <summary>Smooth-ish random float32 values (sums of a few random values per voxel) with a fixed seed.</summary>
    public static Volume<float> RandomFloats(Vec3i shape, int seed, float scale = 3f)
    {
        var rng = new Random(seed);
        var v = new Volume<float>(shape);
        for (long i = 0; i < v.Length; i++) v.Data[i] = (float)((rng.NextDouble() - 0.5) * 2 * scale);
        return v;
    }

    /// <summary>The test vector's raw block normalised as google/ffn's runner does: (raw - 128) / 33 in float32.</summary>
    public static Volume<float> TestVectorImage()
    {
        using var r = Ffn.Model.Volumes.Hdf5.Hdf5VolumeReader.Open(
            TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5"), "raw");
        var raw = r.Read(r.Info.Box).As<byte>();
        var image = new Volume<float>(raw.Shape);
        for (long i = 0; i < raw.Length; i++) image.Data[i] = ((float)raw.Data[i] - 128f) / 33f;
        return image;
    }

    /// <summary>Python lines that load the same normalised test-vector image into <c>img</c>.</summary>
    public static string TestVectorImagePython => $"""
        import h5py
        raw = h5py.File({Quote(TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5"))}, 'r')['raw'][...]
        img = (raw.astype(np.float32) - 128.0) / 33.0
        assert img.dtype == np.float32

        """;

    public static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>
    /// Python lines defining <c>check_peak_local_max()</c>: asserts on tiny inputs the behaviour of
    /// skimage.feature.peak_local_max that PeakFinder reproduces (scikit-image 0.19.3's, what google/ffn ran), so
    /// that a scikit-image which changed it fails saying what changed, whatever its version number.
    /// </summary>
    public const string CheckPeakLocalMaxPython = """
        import skimage, skimage.feature

        def check_peak_local_max():
            def need(kw, img, want, what):
                got = [tuple(int(v) for v in p) for p in skimage.feature.peak_local_max(img, **kw)]
                assert got == want, (f'scikit-image {skimage.__version__}: peak_local_max{kw} {what}: got {got}, '
                                     f'PeakFinder (scikit-image 0.19.3) gives {want}')
            a = np.zeros((9, 9, 20))
            a[4, 4, 4], a[1, 4, 10], a[4, 4, 15] = 0.5, 0.7, 0.9
            need(dict(min_distance=2, threshold_abs=0, exclude_border=False), a, [(4, 4, 15), (1, 4, 10), (4, 4, 4)],
                 'does not list peaks highest first')
            need(dict(min_distance=2, threshold_abs=0), a, [(4, 4, 15), (4, 4, 4)],
                 'does not exclude min_distance voxels at each face by default')
            need(dict(min_distance=2, threshold_abs=0, exclude_border=1), a, [(4, 4, 15), (1, 4, 10), (4, 4, 4)],
                 'does not take an int exclude_border as the border width')
            need(dict(min_distance=2, threshold_abs=0, exclude_border=False, num_peaks=2), a, [(4, 4, 15), (1, 4, 10)],
                 'does not keep the highest num_peaks')
            need(dict(min_distance=2, threshold_abs=0.5, exclude_border=False), a, [(4, 4, 15), (1, 4, 10)],
                 'does not need peaks strictly above threshold_abs')
            need(dict(min_distance=2, threshold_rel=0.6, exclude_border=False), a, [(4, 4, 15), (1, 4, 10)],
                 'does not take max(threshold_abs or image.min(), threshold_rel * image.max())')
            need(dict(min_distance=0, threshold_abs=0.6, exclude_border=False), a, [(4, 4, 15), (1, 4, 10)],
                 'with min_distance=0 does not return every voxel above the threshold')
            need(dict(min_distance=1, threshold_abs=0, exclude_border=False), np.ones((5, 5, 5)), [],
                 'finds peaks on a plateau')
            # Windows that reach outside the image see 0 (maximum_filter mode='constant'): at the x faces of this
            # negative image nothing is a maximum; with 'nearest' or 'reflect' they would be.
            b = np.full((5, 5, 9), -1.0)
            b[2, 2, 4] = -0.5
            need(dict(min_distance=2, threshold_abs=-2, exclude_border=False), b, [(2, 2, 4)],
                 'does not see 0 outside the image')

        check_peak_local_max()

        """;
}
