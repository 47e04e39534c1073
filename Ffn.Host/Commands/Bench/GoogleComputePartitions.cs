using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.DataPrep;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// google/ffn's own compute_partitions, run by Python on labels written to a temporary .npy. google/ffn's module
/// imports absl, TensorFlow, tensorstore, connectomics and protobuf modules that compute_partitions never calls;
/// the driver gives it inert stand-ins for those, and lets its list-of-slices indexing (refused by NumPy 1.23+)
/// through as the tuple it means. The timed call and everything it runs are google/ffn's code, unchanged.
/// </summary>
public static class GoogleComputePartitions
{
    /// <summary>Seconds of each timed call, and the SHA-256 of the partitions it returned.</summary>
    public sealed record Result(List<double> Seconds, string Sha256);

    public static Result Run(string python, string googleFfnDir, Volume labels, PartitionOptions options, int repeats, CancellationToken ct)
    {
        var npy = Path.Combine(Path.GetTempPath(), $"ffn-bench-labels-{Guid.NewGuid():N}.npy");
        try
        {
            NpyFile.Write(npy, labels);
            var ci = CultureInfo.InvariantCulture;
            var psi = ChildProcess.StartInfo(python,
            [
                "-", Path.GetFullPath(googleFfnDir), npy, options.LomRadius.Reversed().ToString(), options.MinSize.ToString(ci), repeats.ToString(ci),
                string.Join(",", options.Thresholds.Select(t => t.ToString("R", ci))),
            ]);
            var (code, stdout, stderr) = ChildProcess.Run(psi, Timeout.InfiniteTimeSpan, ct, Driver);
            if (code != 0) throw new InputException($"google/ffn run failed ({python}, exit {code}): {ChildProcess.LastLine(stderr)}");
            using var doc = JsonDocument.Parse(ChildProcess.LastLine(stdout));
            var seconds = doc.RootElement.GetProperty("seconds").EnumerateArray().Select(e => e.GetDouble()).ToList();
            return new Result(seconds, doc.RootElement.GetProperty("sha256").GetString()!);
        }
        finally
        {
            try { File.Delete(npy); } catch (IOException) { }
        }
    }

    /// <summary>Our driver (not google/ffn's code): argv = google/ffn dir, labels .npy, radius x,y,z, min size, repeats, thresholds.</summary>
    private const string Driver = """
import sys, json, time, types, hashlib, importlib.abc, importlib.machinery, importlib.util
import numpy as np

ffn_dir, labels_path, radius_xyz, min_size, repeats, thresholds = sys.argv[1:7]

class _InertType(type):
    # Attributes of stand-in classes are stand-in classes too (absl's flags.FLAGS, flags.DEFINE_string, ...).
    def __getattr__(cls, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return _InertType(name, (_Inert,), {})

class _Inert(metaclass=_InertType):
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Inert()
    def __getattr__(self, name): return _Inert()

class _StandIn(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return _InertType(name, (_Inert,), {})

class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    ROOTS = ('absl', 'connectomics', 'tensorflow', 'tensorstore')
    def find_spec(self, fullname, path, target=None):
        if fullname.split('.')[0] in self.ROOTS or fullname.endswith('_pb2'):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None
    def create_module(self, spec):
        m = _StandIn(spec.name)
        m.__path__ = []
        return m
    def exec_module(self, module): pass

sys.meta_path.insert(0, _StandInFinder())
sys.path.insert(0, ffn_dir)
spec = importlib.util.spec_from_file_location('google_compute_partitions', ffn_dir + '/compute_partitions.py')
cp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cp)

class _ListIndexArray(np.ndarray):
    # google/ffn indexes with a list of slices, which NumPy >= 1.23 refuses; the tuple means the same.
    def __getitem__(self, key):
        if isinstance(key, list) and all(isinstance(k, slice) for k in key):
            key = tuple(key)
        return super().__getitem__(key)

seg = np.load(labels_path).view(_ListIndexArray)
th = [float(t) for t in thresholds.split(',')]
radius = [int(v) for v in radius_xyz.split(',')]
times, out = [], None
for _ in range(int(repeats)):
    a = seg.copy()  # clear_dust works in place
    t = time.perf_counter()
    corner, out = cp.compute_partitions(a, th, radius, min_size=int(min_size))
    times.append(time.perf_counter() - t)
print(json.dumps({'seconds': times, 'sha256': hashlib.sha256(np.ascontiguousarray(np.asarray(out)).tobytes()).hexdigest()}))
""";
}
