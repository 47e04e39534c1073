using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model.Geometry;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// FFN-PyTorch's stitch_save.py algorithm as a NumPy script of ours, run by Python on the same tiles as `ffn stitch`
/// for a same-run baseline (FFN-PyTorch itself needs CuPy and a GPU).
/// </summary>
public static class StitchSaveTranscription
{
    /// <summary>Seconds per phase, the process's peak resident memory, and the objects left.</summary>
    public sealed record Timing(double Stitch, double Merge, double Write, double Total, long PeakRss, long Objects);

    public static Timing Run(string python, string tilesDir, string output, Vec3i shape, Vec3i tile, int minRun, CancellationToken ct)
    {
        var psi = ChildProcess.StartInfo(python, ["-", tilesDir, output, shape.ToString(), tile.ToString(), minRun.ToString(CultureInfo.InvariantCulture)]);
        var (code, stdout, stderr) = ChildProcess.Run(psi, Timeout.InfiniteTimeSpan, ct, Script);
        if (code != 0) throw new InvalidOperationException($"{python} failed (exit {code}): {ChildProcess.LastLine(stderr)}");
        using var doc = JsonDocument.Parse(ChildProcess.LastLine(stdout));
        var e = doc.RootElement;
        return new Timing(e.GetProperty("stitch").GetDouble(), e.GetProperty("merge").GetDouble(), e.GetProperty("write").GetDouble(),
            e.GetProperty("total").GetDouble(), e.GetProperty("peak_rss").GetInt64(), e.GetProperty("objects").GetInt64());
    }

    /// <summary>
    /// Our transcription of FFN-PyTorch stitch_save.py's algorithm (NumPy in place of CuPy), for a same-run
    /// baseline: tiles in sorted name order into one zero volume, ids offset by the running maximum; per-voxel loops
    /// over every x and y seam with np.all run checks and a min-id mapping (not transitive); slice-by-slice BigTIFF.
    /// argv: tiles dir, output, shape z,y,x, tile z,y,x, m.
    /// </summary>
    private const string Script = """
import sys, os, time, json, resource, numpy as np, tifffile
d, out = sys.argv[1], sys.argv[2]
shape = [int(v) for v in sys.argv[3].split(',')]
tile = [int(v) for v in sys.argv[4].split(',')]
m = int(sys.argv[5])
t0 = time.perf_counter()
vol = np.zeros(shape, np.uint32)
offset = 0
for f in sorted(f for f in os.listdir(d) if f.startswith('seg_') and f.endswith('.npy')):
    z, y, x = [int(v) for v in f[4:-4].split('_')[:3]]
    t = np.load(os.path.join(d, f)).astype(np.uint32)
    t[t > 0] += offset
    vol[z:z + t.shape[0], y:y + t.shape[1], x:x + t.shape[2]] = t
    offset = int(vol.max())
t1 = time.perf_counter()
mapping = {}
Z, Y, X = shape
for x in range(tile[2], X, tile[2]):
    for z in range(Z):
        for y in range(Y):
            a, b = vol[z, y, x - 1], vol[z, y, x]
            if a != b and a != 0 and b != 0 and np.all(vol[z, y, x - m:x] == a) and np.all(vol[z, y, x:x + m] == b):
                lo = min(mapping.get(a, a), mapping.get(b, b))
                mapping[a] = lo
                mapping[b] = lo
for y in range(tile[1], Y, tile[1]):
    for z in range(Z):
        for x in range(X):
            a, b = vol[z, y - 1, x], vol[z, y, x]
            if a != b and a != 0 and b != 0 and np.all(vol[z, y - m:y, x] == a) and np.all(vol[z, y:y + m, x] == b):
                lo = min(mapping.get(a, a), mapping.get(b, b))
                mapping[a] = lo
                mapping[b] = lo
if mapping:
    lut = np.arange(offset + 1, dtype=np.uint32)
    for k, v in mapping.items():
        lut[k] = v
    vol = lut[vol]
t2 = time.perf_counter()
with tifffile.TiffWriter(out, bigtiff=True) as w:
    for z in range(Z):
        w.write(vol[z], contiguous=True)
t3 = time.perf_counter()
objects = len(np.unique(vol)) - 1
print(json.dumps({'stitch': t1 - t0, 'merge': t2 - t1, 'write': t3 - t2, 'total': t3 - t0,
                  'peak_rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 'objects': objects}))
""";
}
