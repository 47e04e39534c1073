using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model.DataPrep;
using Ffn.Model.Volumes;

namespace Ffn.Host.Commands;

/// <summary>`ffn stats FILE.h5 DATASET` (or FILE.h5:DATASET): FFN-PyTorch's util/stats.py, streamed over blocks.</summary>
public static class StatsCommand
{
    public static Command Create(CommandContext ctx)
    {
        var file = new Argument<string>("volume") { Description = "FILE.h5:DATASET, FILE.h5 (with DATASET next), .npy, .npz:KEY or .tif" };
        var dataset = new Argument<string?>("dataset") { Description = "HDF5 dataset name when not given as FILE.h5:DATASET", Arity = ArgumentArity.ZeroOrOne };
        var block = Flags.Make<string>(ctx, "stats", "--block-shape", "Block shape z,y,x read per step (bounds memory)");
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var cmd = new Command("stats", "Mean and standard deviation of an image volume (the --image-mean/--image-stddev for training and inference)")
        {
            file, dataset, block, json,
        };
        cmd.SetAction(r =>
        {
            var specText = r.GetValue(file)!;
            var ds = r.GetValue(dataset);
            var spec = VolumeSpec.Parse(ds is null ? specText : $"{specText}:{ds.TrimStart('/')}");
            if (ds is not null && spec.Format != VolumeFormat.Hdf5 && spec.Format != VolumeFormat.Npz)
                throw new UsageException($"{specText}: a dataset name only applies to HDF5 and .npz files");
            var blockShape = Flags.ParseVec("--block-shape", r.GetValue(block));
            using var reader = VolumeStore.OpenRead(spec);
            var s = ImageStats.Compute(reader, blockShape, ctx.Progress);
            if (r.GetValue(json))
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    volume = spec.ToString(), mean = s.Mean, stddev = s.StdDev, voxels = s.Count, min = s.Min, max = s.Max,
                }));
            }
            else
            {
                var ci = CultureInfo.InvariantCulture;
                ctx.Out.WriteLine(string.Create(ci, $"mean: {s.Mean:R}"));
                ctx.Out.WriteLine(string.Create(ci, $"stddev: {s.StdDev:R}"));
                ctx.Out.WriteLine(string.Create(ci, $"voxels: {s.Count}  min: {s.Min}  max: {s.Max}"));
                ctx.Out.WriteLine(string.Create(ci, $"flags: --image-mean {s.Mean:F4} --image-stddev {s.StdDev:F4}"));
            }
            return FfnCli.Ok;
        });
        return cmd;
    }
}
