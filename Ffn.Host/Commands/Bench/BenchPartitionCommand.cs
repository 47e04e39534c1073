using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model.DataPrep;
using Ffn.Model.Synthetic;
using Ffn.Model.Volumes;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench partition`: <see cref="Partitioner"/> against google/ffn's compute_partitions (NumPy) on the same
/// labels in memory, with a check that both produce the same bytes.
/// </summary>
public static class BenchPartitionCommand
{
    public static Command Create(CommandContext ctx)
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
            options.Validate();
            int repeats = Flags.AtLeast(r, repeat), googleRepeats = Flags.AtLeast(r, googleRepeat);
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

            GoogleComputePartitions.Result? g = null;
            if (googleScript is not null)
            {
                ctx.Progress.Report($"bench partition: {googleRepeats} run(s) of google/ffn compute_partitions ({googleScript})");
                g = GoogleComputePartitions.Run(pythonPath, googleDir!, labels, options, googleRepeats, ct);
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
}
