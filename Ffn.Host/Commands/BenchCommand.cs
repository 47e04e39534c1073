using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Synthetic;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn bench SUBJECT`: times FfnActors against the reference implementation where one is available. A new
/// benchmark is one more factory in <see cref="Benchmarks"/>; flags default from HOCON ffn.bench.SUBJECT.*.
/// </summary>
public static class BenchCommand
{
    private static readonly Func<CommandContext, Command>[] Benchmarks =
    [
        Partition,
        BenchForwardCommand.Create,
        BenchInferCommand.Create,
        BenchRunCommand.Create,
        BenchStitchCommand.Create,
        BenchTrainCommand.Create,
    ];

    public static Command Create(CommandContext ctx)
    {
        var cmd = new Command("bench", "Benchmarks against the reference implementations (google/ffn, FFN-PyTorch)");
        foreach (var make in Benchmarks) cmd.Subcommands.Add(make(ctx));
        return cmd;
    }

    /// <summary>
    /// `ffn bench partition`: <see cref="Partitioner"/> against google/ffn's compute_partitions (NumPy) on the same
    /// labels in memory, with a check that both produce the same bytes.
    /// </summary>
    private static Command Partition(CommandContext ctx)
    {
        const string s = "bench.partition";
        var input = Flags.Make<string>(ctx, s, "--input", "Labels LABELS.h5:dataset; \"\" = a synthetic volume (--shape, ~500 objects at 250^3)");
        var shape = Flags.Make<string>(ctx, s, "--shape", "Synthetic volume shape z,y,x (without --input)");
        var seed = Flags.Make<int>(ctx, s, "--seed", "Synthetic volume seed");
        var radius = Flags.Make<string>(ctx, s, "--lom-radius", "LOM radius x,y,z", "--lom_radius");
        var minSize = Flags.Make<long>(ctx, s, "--min-size", "Minimum object size", "--min_size");
        var repeat = Flags.Make<int>(ctx, s, "--repeat", "Timed runs of FfnActors (the median is reported)");
        var google = Flags.Make<string>(ctx, s, "--google-ffn", "A google/ffn checkout (holding compute_partitions.py) to time against; \"\" = ours only");
        var googleRepeat = Flags.Make<int>(ctx, s, "--google-repeat", "Timed runs of google/ffn (slow: minutes each at 250^3)");
        var python = Flags.Make<string>(ctx, s, "--python", "Python with NumPy and SciPy that runs google/ffn");
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var cmd = new Command("partition", "Time ffn partition's algorithm, and google/ffn's compute_partitions when --google-ffn is given")
        {
            input, shape, seed, radius, minSize, repeat, google, googleRepeat, python, json,
        };
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var options = new PartitionOptions
            {
                LomRadius = Flags.ParseVec("--lom-radius", r.GetValue(radius), positive: false).Reversed(),
                MinSize = r.GetValue(minSize),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw PartitionCommand.OptionError(e);
            }
            int repeats = r.GetValue(repeat), googleRepeats = r.GetValue(googleRepeat);
            if (repeats < 1) throw new UsageException($"--repeat: expected at least 1, got {repeats}");
            if (googleRepeats < 1) throw new UsageException($"--google-repeat: expected at least 1, got {googleRepeats}");
            var googleDir = r.GetValue(google);
            string? googleScript = null;
            if (!string.IsNullOrWhiteSpace(googleDir))
            {
                googleScript = Path.Combine(googleDir, "compute_partitions.py");
                if (!File.Exists(googleScript)) throw new UsageException($"--google-ffn {googleDir}: no compute_partitions.py there (give a google/ffn checkout)");
            }
            var pythonPath = r.GetValue(python) ?? "/usr/bin/python3";
            if (googleScript is not null && !File.Exists(pythonPath)) throw new UsageException($"--python {pythonPath}: no such file");

            // The labels, in memory, as both implementations get them.
            Volume labels;
            string what;
            var inputText = r.GetValue(input);
            if (string.IsNullOrWhiteSpace(inputText))
            {
                // Thick neurites (radius 6-14) give ~500 objects in 250^3 (496 for seed 1), as the benchmark asks.
                var synth = SynthGenerator.Generate(new SynthOptions
                {
                    Shape = Flags.ParseVec("--shape", r.GetValue(shape)), Seed = r.GetValue(seed), MinTubeRadius = 6, MaxTubeRadius = 14,
                }, ctx.Progress);
                labels = synth.Labels;
                what = $"synthetic {labels.Shape} (z,y,x), seed {r.GetValue(seed)}";
            }
            else
            {
                var spec = VolumeSpec.Parse(inputText);
                labels = VolumeStore.ReadAll(spec);
                what = spec.ToString();
            }

            ctx.Progress.Report($"bench partition: {repeats} run(s) of ffn partition on {what}");
            var ours = new List<double>();
            PartitionResult? result = null;
            for (int i = 0; i < repeats; i++)
            {
                var clock = Stopwatch.StartNew();
                result = Partitioner.Compute(labels, options, ct: ct);
                ours.Add(clock.Elapsed.TotalSeconds);
            }
            var valid = result!.Partitions.Crop(result.ValidRegion);
            string ourHash = Convert.ToHexStringLower(SHA256.HashData(valid.Bytes));

            GoogleRun? g = null;
            if (googleScript is not null)
            {
                ctx.Progress.Report($"bench partition: {googleRepeats} run(s) of google/ffn compute_partitions ({googleScript})");
                g = RunGoogle(pythonPath, googleDir!, labels, options, googleRepeats, ct);
            }

            double ourMedian = Median(ours), voxels = labels.Shape.Product;
            bool? identical = g is null ? null : g.Sha256 == ourHash;
            var ci = CultureInfo.InvariantCulture;
            if (r.GetValue(json))
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    input = what, shape = labels.Shape.ToArray(), labels = result.LabelCount, objects_partitioned = result.ObjectsPartitioned,
                    lom_radius_xyz = options.LomRadius.Reversed().ToArray(), min_size = options.MinSize, threads = Environment.ProcessorCount,
                    ffn_seconds = ours, ffn_median_s = ourMedian,
                    google_seconds = g?.Seconds, google_median_s = g is null ? (double?)null : Median(g.Seconds),
                    speedup = g is null ? (double?)null : Median(g.Seconds) / ourMedian, identical,
                }));
                return FfnCli.Ok;
            }
            ctx.Out.WriteLine($"input: {what}: {voxels:N0} voxels, {result.LabelCount} objects, {result.ObjectsPartitioned} with >= {options.MinSize} voxels; " +
                $"lom radius (x,y,z) {options.LomRadius.Reversed()}");
            ctx.Out.WriteLine(string.Create(ci, $"ffn partition ({Environment.ProcessorCount} threads): median {ourMedian:F3} s of {Times(ours)}, {voxels / ourMedian / 1e6:F1} Mvoxel/s"));
            if (g is null)
            {
                ctx.Out.WriteLine("google/ffn: not run (give --google-ffn DIR, a google/ffn checkout, and a python with NumPy and SciPy)");
                return FfnCli.Ok;
            }
            double gm = Median(g.Seconds);
            ctx.Out.WriteLine(string.Create(ci, $"google/ffn compute_partitions (NumPy): median {gm:F3} s of {Times(g.Seconds)}"));
            ctx.Out.WriteLine(string.Create(ci, $"speedup: {gm / ourMedian:F1}x; outputs {(identical == true ? "identical" : "DIFFER")} (sha256 of the valid region)"));
            return identical == true ? FfnCli.Ok : FfnCli.RuntimeError;
        }
    }

    private sealed record GoogleRun(List<double> Seconds, string Sha256);

    /// <summary>
    /// Runs google/ffn's own compute_partitions on the labels (written to a temporary .npy). google/ffn's module
    /// imports absl, TensorFlow, tensorstore, connectomics and protobuf modules that compute_partitions never calls;
    /// the driver gives it inert stand-ins for those, and lets its list-of-slices indexing (refused by NumPy 1.23+)
    /// through as the tuple it means. The timed call and everything it runs are google/ffn's code, unchanged.
    /// </summary>
    private static GoogleRun RunGoogle(string python, string dir, Volume labels, PartitionOptions options, int repeats, CancellationToken ct)
    {
        var npy = Path.Combine(Path.GetTempPath(), $"ffn-bench-labels-{Guid.NewGuid():N}.npy");
        try
        {
            NpyFile.Write(npy, labels);
            var psi = new ProcessStartInfo(python)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[]
                     {
                         "-", Path.GetFullPath(dir), npy, options.LomRadius.Reversed().ToString(),
                         options.MinSize.ToString(CultureInfo.InvariantCulture), repeats.ToString(CultureInfo.InvariantCulture),
                         string.Join(",", options.Thresholds.Select(t => t.ToString("R", CultureInfo.InvariantCulture))),
                     })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {python}");
            using var kill = ct.Register(() => { try { p.Kill(true); } catch (InvalidOperationException) { } });
            p.StandardInput.Write(GoogleDriver);
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            p.WaitForExit();
            ct.ThrowIfCancellationRequested();
            if (p.ExitCode != 0)
                throw new InputException($"google/ffn run failed ({python}, exit {p.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            using var doc = JsonDocument.Parse(stdout.Result.Trim().Split('\n').Last());
            var seconds = doc.RootElement.GetProperty("seconds").EnumerateArray().Select(e => e.GetDouble()).ToList();
            return new GoogleRun(seconds, doc.RootElement.GetProperty("sha256").GetString()!);
        }
        finally
        {
            try { File.Delete(npy); } catch (IOException) { }
        }
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string Times(List<double> v) => "[" + string.Join(", ", v.Select(t => t.ToString("F3", CultureInfo.InvariantCulture))) + "]";

    /// <summary>Our driver (not google/ffn's code): argv = google/ffn dir, labels .npy, radius x,y,z, min size, repeats, thresholds.</summary>
    private const string GoogleDriver = """
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
