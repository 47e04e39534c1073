using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.DataPrep;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn build-coordinates`: google/ffn's build_coordinates.py (FFN-PyTorch's data/build_coordinates.py, which saves
/// .npy), with its snake_case flag names as aliases.
/// </summary>
public static class BuildCoordinatesCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "build-coordinates";
        var volumes = Flags.Make<string>(ctx, s, "--partition-volumes", "Partition maps NAME:PATH.h5:dataset[,NAME:PATH.h5:dataset...]; NAME is the volume's name in training", "--partition_volumes");
        var output = Flags.Make<string>(ctx, s, "--coordinate-output", "Coordinates to write, COORDS.npy (int64 N x 3, x,y,z); several volumes add COORDS.volumes.npy/.json", "--coordinate_output");
        // z,y,x as google/ffn's and FFN-PyTorch's build_coordinates.py read it (mz, my, mx = margin).
        var margin = Flags.Make<string>(ctx, s, "--margin", "Voxels next to each face never sampled, z,y,x (google/ffn's order); normally the training FoV radius + deltas");
        var seed = Flags.Make<long>(ctx, s, "--seed", "Random seed (same seed and inputs, same file)");
        var cmd = new Command("build-coordinates", "Class-balanced, shuffled training coordinates from partition maps (google/ffn build_coordinates)")
        {
            volumes, output, margin, seed,
        };
        // The async overload only for its cancellation token (Ctrl-C → exit 130); the work itself is synchronous.
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var list = (r.GetValue(volumes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (list.Length == 0) throw Flags.Missing("--partition-volumes", "NAME:PATH.h5:dataset[,...]");
            var sources = list.Select(t =>
            {
                try
                {
                    return CoordinateSource.Parse(t);
                }
                catch (Model.InputException e)
                {
                    throw new UsageException($"--partition-volumes: {e.Message}");
                }
            }).ToList();
            var path = Flags.Required(r, output, "COORDS.npy");
            if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--coordinate-output {path}: coordinates are written as .npy (COORDS.npy)");
            var marginZyx = Flags.ParseVec("--margin", r.GetValue(margin), positive: false);
            if (marginZyx.Z < 0 || marginZyx.Y < 0 || marginZyx.X < 0)
                throw new UsageException($"--margin: every component must be non-negative, got {marginZyx}");

            OutputDirectory.EnsureParent("--coordinate-output", path);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var summary = CoordinateBuilder.Build(sources, marginZyx, unchecked((ulong)r.GetValue(seed)), path, ctx.Progress, ct);
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(ci,
                $"wrote {string.Join(", ", summary.Files)}: {summary.Count} coordinates = {summary.VoxelsPerValue.Count} partition values x {summary.SamplesPerValue}, " +
                $"from {string.Join(", ", sources)}, margin (z,y,x) {marginZyx}, {clock.Elapsed.TotalSeconds:F1} s"));
            ctx.Out.WriteLine("voxels per partition value: " + string.Join(" ", summary.VoxelsPerValue.Select(v => $"{v.Value}:{v.Voxels}")));
            return FfnCli.Ok;
        }
    }
}
