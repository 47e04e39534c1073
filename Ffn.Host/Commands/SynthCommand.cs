using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model.Geometry;
using Ffn.Model.Synthetic;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;

namespace Ffn.Host.Commands;

/// <summary>`ffn synth OUT.h5`: a synthetic EM volume with ground truth (datasets raw and labels).</summary>
public static class SynthCommand
{
    public static Command Create(CommandContext ctx)
    {
        var output = new Argument<string>("output") { Description = "HDF5 file to write (datasets 'raw' uint8 and 'labels' uint32)" };
        var shape = Flags.Make<string>(ctx, "synth", "--shape", "Volume shape z,y,x");
        var seed = Flags.Make<int>(ctx, "synth", "--seed", "Random seed (same seed, same volume)");
        var empty = Flags.Make<bool>(ctx, "synth", "--empty-slab", "Zero the first quarter of the z slices (tests empty-block skipping)");
        var noise = Flags.Make<double>(ctx, "synth", "--noise", "Standard deviation of the additive noise, grey levels");
        var blur = Flags.Make<double>(ctx, "synth", "--blur", "Sigma of the Gaussian blur, voxels");
        var minR = Flags.Make<double>(ctx, "synth", "--min-tube-radius", "Smallest neurite radius, voxels");
        var maxR = Flags.Make<double>(ctx, "synth", "--max-tube-radius", "Largest neurite radius, voxels");
        var chunks = Flags.Make<string>(ctx, "synth", "--chunks", "HDF5 chunk shape z,y,x");
        var gzip = Flags.Make<int>(ctx, "synth", "--gzip", "HDF5 gzip level 0-9 (0 = uncompressed)");
        var cmd = new Command("synth", "Generate a synthetic EM-like volume with ground-truth labels (neurites, cells, membranes)")
        {
            output, shape, seed, empty, noise, blur, minR, maxR, chunks, gzip,
        };
        cmd.SetAction(r =>
        {
            var path = r.GetValue(output)!;
            var opts = new SynthOptions
            {
                Shape = Flags.ParseVec("--shape", r.GetValue(shape)),
                Seed = r.GetValue(seed),
                EmptySlab = r.GetValue(empty),
                Noise = r.GetValue(noise),
                Blur = r.GetValue(blur),
                MinTubeRadius = r.GetValue(minR),
                MaxTubeRadius = r.GetValue(maxR),
            };
            opts.Validate();
            var chunkShape = Vec3i.Min(Flags.ParseVec("--chunks", r.GetValue(chunks)), opts.Shape);
            int level = r.GetValue(gzip);
            if (level is < 0 or > 9) throw new UsageException($"--gzip: expected 0-9, got {level}");
            if (VolumeSpec.FormatOf(path) != VolumeFormat.Hdf5) throw new UsageException($"{path}: synth writes HDF5 (.h5)");
            OutputDirectory.EnsureParent("output", path);
            Hdf5Output.CheckReplaceable("output", path, "raw", "labels");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var synth = SynthGenerator.Generate(opts, ctx.Progress);
            var attrs = new Dictionary<string, object>
            {
                ["seed"] = (long)opts.Seed,
                ["generator"] = "ffn synth",
            };
            using (var w = Hdf5VolumeWriter.Create(path))
            {
                w.AddDataset("raw", DType.UInt8, opts.Shape, chunkShape, level, attrs);
                w.AddDataset("labels", DType.UInt32, opts.Shape, chunkShape, level, attrs);
                w.WriteBlock("raw", synth.Raw);
                w.WriteBlock("labels", synth.Labels);
                w.Commit();
            }
            long membrane = synth.Labels.Data.LongCount(l => l == 0);
            ctx.Out.WriteLine($"wrote {path}: raw uint8 + labels uint32, shape {opts.Shape} (z,y,x), {synth.ObjectCount} objects, " +
                $"{100.0 * membrane / opts.Shape.Product:F1}% membrane/background, {clock.Elapsed.TotalSeconds:F1} s");
            return FfnCli.Ok;
        });
        return cmd;
    }
}
