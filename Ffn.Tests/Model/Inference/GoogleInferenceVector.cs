using Ffn.Model.Geometry;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Inference;

/// <summary>google/ffn's own Canvas run on the FIB-25 crop (testvectors/NOTES.md "Inference"), as arrays.</summary>
public sealed class GoogleInferenceVector
{
    private GoogleInferenceVector() { }

    public required int[] Segmentation { get; init; }
    public required Vec3i Shape { get; init; }
    public required List<Vec3i> SeedCoords { get; init; }
    public required long[] Attempts { get; init; }   // [n, 6]: z, y, x, outcome, voxels, evaluations
    public required long[] Origins { get; init; }    // [n, 6]: id, z, y, x, evaluations, voxels
    public required long[] FovTrace { get; init; }   // [n, 4]: attempt, z, y, x

    private static readonly Lazy<GoogleInferenceVector> Cached = new(Load);

    public static GoogleInferenceVector Instance => Cached.Value;

    private static GoogleInferenceVector Load()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ffn-test-google-vector-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        PythonOracle.Run("""
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
for k in ('segmentation', 'seed_policy_coords', 'attempts', 'origins', 'fov_trace'):
    a = f[k][...]
    np.save(sys.argv[2] + '/' + k + '.npy', a.astype(np.int64 if k != 'segmentation' else np.int32))
""", TestData.SharedFile("testvectors", "inference_expected_google_fib25_ts1_64x96x96.h5"), dir);
        var seg = NpyFile.Read(Path.Combine(dir, "segmentation.npy"));
        var coords = NpyFile.Read(Path.Combine(dir, "seed_policy_coords.npy")).Get<long>();
        var v = new GoogleInferenceVector
        {
            Segmentation = seg.Get<int>(),
            Shape = new Vec3i((int)seg.Shape[0], (int)seg.Shape[1], (int)seg.Shape[2]),
            SeedCoords = Enumerable.Range(0, coords.Length / 3).Select(i => new Vec3i((int)coords[3 * i], (int)coords[3 * i + 1], (int)coords[3 * i + 2])).ToList(),
            Attempts = NpyFile.Read(Path.Combine(dir, "attempts.npy")).Get<long>(),
            Origins = NpyFile.Read(Path.Combine(dir, "origins.npy")).Get<long>(),
            FovTrace = NpyFile.Read(Path.Combine(dir, "fov_trace.npy")).Get<long>(),
        };
        Directory.Delete(dir, true);
        return v;
    }
}
