using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn export RUN_DIR --to zarr`: writes an existing run's result as RUN_DIR/final_result.zarr, the OME-Zarr image
/// `ffn run --outputs ...,zarr` writes (the EM from run.json's input, the segmentation from final_result.h5 or .tif).
/// </summary>
public static class ExportCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "export";
        var dir = new Argument<string>("RUN_DIR") { Description = "A run directory written by `ffn run`" };
        var to = Flags.Make<string>(ctx, s, "--to", "Format to export to: zarr (OME-Zarr, final_result.zarr)");
        var image = Flags.Make<string>(ctx, s, "--image", "The EM PATH:dataset (\"\" = the input run.json names)");
        var voxel = Flags.Make<string>(ctx, s, "--voxel-size", "Voxel size z,y,x in nanometres (\"\" = run.json's)");
        var chunks = Flags.Make<string>(ctx, "run", "--zarr-chunks", "Chunk shape z,y,x of the arrays");
        var compressor = Flags.Make<string>(ctx, "run", "--zarr-compressor", "Chunk compressor: zstd[:LEVEL], gzip[:LEVEL], zlib[:LEVEL] or none");
        var cmd = new Command("export", "Write a run's EM and segmentation as OME-Zarr (final_result.zarr) for Neuroglancer, napari and zarr-python")
        {
            dir, to, image, voxel, chunks, compressor,
        };
        cmd.SetAction((r, ct) =>
        {
            var runDir = r.GetValue(dir)!;
            Flags.Choice("--to", r.GetValue(to), [("zarr", true)]);
            if (!Directory.Exists(runDir)) throw new UsageException($"{runDir}: no such run directory");
            var manifest = RunManifest.Load(runDir) ?? throw new UsageException($"{runDir}: no {RunManifest.FileName} (not an ffn run directory)");
            var seg = Segmentation(runDir);
            var imageSpec = VolumeSpec.Parse(r.GetValue(image) is { Length: > 0 } i ? i
                : manifest.Fields.GetValueOrDefault("input") ?? throw new UsageException($"--image: {runDir}/{RunManifest.FileName} names no input; give the EM"));
            var voxelText = r.GetValue(voxel) is { Length: > 0 } v ? v : manifest.Fields.GetValueOrDefault("voxel_size_zyx") ?? "1,1,1";
            var voxelSize = Flags.ParseVec("--voxel-size", voxelText);
            var chunkShape = Flags.ParseVec("--zarr-chunks", r.GetValue(chunks));
            var codec = ZarrCompressor.Parse(r.GetValue(compressor) ?? "zstd");
            using var labels = VolumeStore.OpenRead(seg);
            var input = VolumeStore.OpenRead(imageSpec);
            // The run's own input is cropped to the run's region; an --image is taken as the region's EM.
            var region = r.GetValue(image) is { Length: > 0 } ? null : manifest.Region(input.Info.Shape);
            using var em = region is { } box ? new RegionReader(input, box) : input;
            if (em.Info.Shape != labels.Info.Shape)
                throw new UsageException($"--image {imageSpec}: shape {em.Info.Shape} differs from the segmentation's {labels.Info.Shape}");
            using var runLock = RunDirectoryLock.TryAcquire(runDir, out var busy) ?? throw new UsageException($"{runDir}: {busy}; wait for it to end");
            var store = Path.Combine(runDir, "final_result.zarr");
            var ome = new OmeZarrImage(store, labels.Info.Shape, voxelSize, chunkShape, codec, region?.Start ?? default);
            ome.WriteLabels(labels, ctx.Progress, ct);
            ome.Finish(em, ctx.Progress, ct);
            ctx.Out.WriteLine($"wrote {store}: OME-Zarr image {labels.Info.Shape} (z,y,x), voxel size {voxelSize} nm, {ome.Levels} level(s); labels/{OmeZarrImage.LabelsName} from {seg}, EM from {imageSpec}");
            return Task.FromResult(FfnCli.Ok);
        });
        return cmd;
    }

    private static VolumeSpec Segmentation(string runDir)
    {
        var h5 = Path.Combine(runDir, "final_result.h5");
        if (File.Exists(h5)) return new VolumeSpec(h5, "segmentation", VolumeFormat.Hdf5);
        var tif = Path.Combine(runDir, "final_result.tif");
        if (File.Exists(tif)) return new VolumeSpec(tif, null, VolumeFormat.Tiff);
        throw new UsageException($"{runDir}: no final_result.h5 or final_result.tif (the run did not reach stitching)");
    }
}
