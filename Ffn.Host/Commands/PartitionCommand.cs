using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.DataPrep;
using Ffn.Model.Volumes;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn partition`: google/ffn's compute_partitions.py (FFN-PyTorch's data/partition.py), with its snake_case flag
/// names as aliases. --lom-radius and --exclusion-regions are x,y,z as in google/ffn; everything inside is z,y,x.
/// </summary>
public static class PartitionCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "partition";
        var input = Flags.Make<string>(ctx, s, "--input-volume", "Label volume LABELS.h5:dataset (or .npy, .npz:key, .tif, .zarr[:array]); integer ids, 0 = background", "--input_volume");
        var output = Flags.Make<string>(ctx, s, "--output-volume", "Partition map to write, OUT.h5:dataset (uint8)", "--output_volume");
        var thresholds = Flags.Make<string>(ctx, s, "--thresholds", "Ascending LOM fractions in (0,1), comma-separated");
        var radius = Flags.Make<string>(ctx, s, "--lom-radius", "LOM radius x,y,z in voxels (google/ffn's order)", "--lom_radius");
        var minSize = Flags.Make<long>(ctx, s, "--min-size", "Objects with fewer voxels become background first (0 keeps all)", "--min_size");
        var whitelist = Flags.Make<string>(ctx, s, "--id-whitelist", "Only these object ids get partition values (comma-separated; empty = all)", "--id_whitelist");
        var exclusion = Flags.Make<string>(ctx, s, "--exclusion-regions", "Spheres x,y,z,r[,x,y,z,r...] (voxels, whole-volume coordinates) set to 255", "--exclusion_regions");
        var mask = Flags.Make<string>(ctx, s, "--mask", "Mask volume FILE.h5:dataset of the label shape: valid voxels whose LOM box holds a non-zero mask voxel are set to 255");
        var cmd = new Command("partition", "Partition map for training: each object voxel's share of its local object mask, quantized (google/ffn compute_partitions)")
        {
            input, output, thresholds, radius, minSize, whitelist, exclusion, mask,
        };
        // The async overload only for its cancellation token (Ctrl-C → exit 130); the work itself is synchronous.
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var inSpec = VolumeSpec.Parse(Flags.Required(r, input, "LABELS.h5:dataset").Trim());
            var outSpec = VolumeSpec.Parse(Flags.Required(r, output, "OUT.h5:dataset").Trim());
            if (outSpec.Format != VolumeFormat.Hdf5) throw new UsageException($"--output-volume {outSpec}: partitions are written to HDF5 (OUT.h5:dataset)");
            if (Path.GetFullPath(outSpec.Path) == Path.GetFullPath(inSpec.Path))
                throw new UsageException($"--output-volume {outSpec}: writing would replace the input file {inSpec.Path}; choose another file");
            OutputDirectory.EnsureParent("--output-volume", outSpec.Path);
            Hdf5Output.CheckReplaceable("--output-volume", outSpec.Path, outSpec.Dataset!);
            var maskText = r.GetValue(mask);
            var maskSpec = string.IsNullOrWhiteSpace(maskText) ? null : VolumeSpec.Parse(maskText);
            var options = new PartitionOptions
            {
                Thresholds = ParseNumbers("--thresholds", r.GetValue(thresholds)),
                LomRadius = Flags.ParseVec("--lom-radius", r.GetValue(radius), positive: false).Reversed(),
                MinSize = r.GetValue(minSize),
                IdWhitelist = ParseIds(r.GetValue(whitelist)),
                ExclusionRegions = ParseRegions(r.GetValue(exclusion)),
            };
            options.Validate();

            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var labels = VolumeStore.OpenRead(inSpec);
            using var maskReader = maskSpec is null ? null : VolumeStore.OpenRead(maskSpec);
            var boxes = Partitioner.AdjustBoundingBoxes(Partitioner.ReadBoundingBoxes(labels), options.LomRadius);
            var result = Partitioner.Compute(labels, options, maskReader, ctx.Progress, ct);
            Partitioner.Write(result, outSpec.Path, outSpec.Dataset!, boxes, progress: ctx.Progress);

            var ci = CultureInfo.InvariantCulture;
            if (result.ObjectsPartitioned == 0)
                ctx.Err.WriteLine($"ffn partition: warning: no object has --min-size {options.MinSize} voxels{(options.IdWhitelist is null ? "" : " and is whitelisted")}; only background was partitioned");
            ctx.Out.WriteLine(string.Create(ci,
                $"wrote {outSpec}: uint8 {labels.Info.Shape} (z,y,x), {result.ObjectsPartitioned} of {result.LabelCount} objects partitioned " +
                $"({result.DustObjects} below --min-size), valid region {result.ValidRegion.Start}..{result.ValidRegion.End}, {clock.Elapsed.TotalSeconds:F1} s"));
            ctx.Out.WriteLine("partition counts (value:voxels): " + string.Join(" ", result.ValueCounts.Select(c => $"{c.Value}:{c.Count}")));
            return FfnCli.Ok;
        }
    }

    private static string[] Items(string? text) =>
        (text ?? "").Split([',', ';', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static double[] ParseNumbers(string flag, string? text)
    {
        var items = Items(text);
        if (items.Length == 0) throw new UsageException($"{flag}: at least one number is required");
        return items.Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new UsageException($"{flag}: '{t}' is not a number")).ToArray();
    }

    private static long[]? ParseIds(string? text)
    {
        var items = Items(text);
        if (items.Length == 0) return null;
        return items.Select(t =>
            long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            // uint64 ids above 2^63 are compared bit for bit, as the label index stores them.
            : ulong.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? unchecked((long)u)
            : throw new UsageException($"--id-whitelist: '{t}' is not an integer id")).ToArray();
    }

    private static ExclusionRegion[] ParseRegions(string? text)
    {
        if (Items(text).Length == 0) return [];
        var v = ParseNumbers("--exclusion-regions", text);
        if (v.Length % 4 != 0) throw new UsageException($"--exclusion-regions: expected groups of four numbers x,y,z,r, got {v.Length} numbers");
        return Enumerable.Range(0, v.Length / 4).Select(i => ExclusionRegion.FromXyzr(v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3])).ToArray();
    }
}
