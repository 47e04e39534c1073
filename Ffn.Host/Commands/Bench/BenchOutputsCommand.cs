using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Model.Volumes.Zarr;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench outputs`: the stitch stage of `ffn run` writing final_result.h5, .tif and .zarr in one pass, as a run
/// does, over generated block labels (cells with warped walls, block-local ids, faces merge) instead of a network's,
/// so a volume of realistic size is stitched in minutes. Each writer is timed inside the same pass, so the formats
/// compare on the same slabs; then the OME-Zarr completion (pyramids, EM, metadata) is timed. Medians of --repeat.
/// </summary>
public static class BenchOutputsCommand
{
    private const string S = "bench.outputs";

    public static Command Create(CommandContext ctx)
    {
        var shapeFlag = Flags.Make<string>(ctx, S, "--shape", "Volume shape z,y,x");
        var blockFlag = Flags.Make<string>(ctx, S, "--block-shape", "Block (core) shape z,y,x, as ffn run's");
        var cellFlag = Flags.Make<string>(ctx, S, "--cell", "Object (cell) size z,y,x of the generated labels");
        var chunksFlag = Flags.Make<string>(ctx, S, "--zarr-chunks", "Chunk shape z,y,x of final_result.zarr's arrays");
        var codecFlag = Flags.Make<string>(ctx, S, "--zarr-compressor", "Compressor of final_result.zarr's chunks");
        var slabMib = Flags.Make<int>(ctx, S, "--stitch-slab-mib", "MiB of output the stitcher holds at once (ffn run's --stitch-slab-mib)");
        var repeat = Flags.Make<int>(ctx, S, "--repeat", "Timed passes (medians reported)");
        var workDir = Flags.Make<string>(ctx, S, "--work-dir", "Where the outputs go (\"\" = a temporary directory, deleted after)");
        var cmd = new Command("outputs", "Time the run's stitch stage writing final_result.h5, .tif and .zarr (OME-Zarr) in the same pass")
        {
            shapeFlag, blockFlag, cellFlag, chunksFlag, codecFlag, slabMib, repeat, workDir,
        };
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var shape = Flags.ParseVec("--shape", r.GetValue(shapeFlag));
            var blockShape = Flags.ParseVec("--block-shape", r.GetValue(blockFlag), positive: false);
            var cell = Flags.ParseVec("--cell", r.GetValue(cellFlag));
            var chunks = Flags.ParseVec("--zarr-chunks", r.GetValue(chunksFlag));
            var codec = ZarrCompressor.Parse(r.GetValue(codecFlag) ?? "zstd");
            int repeats = Flags.AtLeast(r, repeat);
            long slabBytes = Flags.AtLeast(r, slabMib) * 1048576L;
            var given = r.GetValue(workDir);
            var root = string.IsNullOrWhiteSpace(given) ? Path.Combine(Path.GetTempPath(), $"ffn-bench-outputs-{Guid.NewGuid():N}") : given;
            Directory.CreateDirectory(root);
            var ci = CultureInfo.InvariantCulture;
            try
            {
                var blocks = BlockGrid.Tile(shape, blockShape, Vec3i.Zero, Vec3i.Zero, Vec3i.One);
                var stitchBlocks = blocks.Select(b => new StitchBlock(b.Index, b.Core, b.LabelBox)).ToList();
                var em = Path.Combine(root, "em.h5");
                WriteEm(em, shape, cell, ct);
                var passes = new List<(StitchSummary S, double Finish, long H5, long Tif, long ZarrLabels, long Zarr)>();
                for (int k = 0; k < repeats; k++)
                {
                    var dir = Path.Combine(root, $"pass{k}");
                    Directory.CreateDirectory(dir);
                    using var asm = new BlockAssembler(shape, stitchBlocks, new MergeOptions(MergeMode.Faces, 3)) { SlabBytes = slabBytes };
                    foreach (var b in blocks) asm.Add(b.Index, SyntheticTiles.Tile(shape, b.LabelBox, cell));
                    var ome = new OmeZarrImage(Path.Combine(dir, "final_result.zarr"), shape, new Vec3i(8, 8, 8), chunks, codec);
                    asm.Output.Zarr = ome.BeginLabels(DType.UInt32);
                    var summary = asm.Write(i => SyntheticTiles.Tile(shape, blocks[i].LabelBox, cell), Path.Combine(dir, "final_result.h5"), "segmentation",
                        Path.Combine(dir, "final_result.tif"), ctx.Progress, ct);
                    var clock = Stopwatch.StartNew();
                    using (var image = VolumeStore.OpenRead(new VolumeSpec(em, "raw", VolumeFormat.Hdf5))) ome.Finish(image, ctx.Progress, ct);
                    double finish = clock.Elapsed.TotalSeconds;
                    passes.Add((summary, finish, new FileInfo(Path.Combine(dir, "final_result.h5")).Length, new FileInfo(Path.Combine(dir, "final_result.tif")).Length,
                        DirBytes(ome.LabelsDir + "/0"), DirBytes(ome.StoreDir)));
                    ctx.Progress.Report(string.Create(ci, $"bench outputs: pass {k + 1}/{repeats}: h5 {summary.Hdf5Seconds:F2} s, tif {summary.TiffSeconds:F2} s, zarr {summary.ZarrSeconds:F2} s, zarr completion {finish:F2} s"));
                    if (k + 1 < repeats) Directory.Delete(dir, recursive: true);
                }
                double mib = shape.Product * 4.0 / 1048576;
                double h5 = Median(passes.Select(p => p.S.Hdf5Seconds)), tif = Median(passes.Select(p => p.S.TiffSeconds)), zarr = Median(passes.Select(p => p.S.ZarrSeconds));
                var last = passes[^1];
                ctx.Out.WriteLine(string.Create(ci, $"bench outputs: {shape} (z,y,x) uint32 = {mib:F0} MiB of labels, {blocks.Count} block(s) of {blocks[0].Core.Size}, {last.S.ObjectsAfter} objects; {repeats} pass(es), medians"));
                ctx.Out.WriteLine(string.Create(ci, $"  final_result.h5   (gzip 4, chunks 64^3)     {h5,7:F2} s  {mib / h5,7:F0} MiB/s  {last.H5 / 1048576.0,7:F1} MiB on disk  {Times(passes.Select(p => p.S.Hdf5Seconds))}"));
                ctx.Out.WriteLine(string.Create(ci, $"  final_result.tif  (BigTIFF, uncompressed)   {tif,7:F2} s  {mib / tif,7:F0} MiB/s  {last.Tif / 1048576.0,7:F1} MiB on disk  {Times(passes.Select(p => p.S.TiffSeconds))}"));
                ctx.Out.WriteLine(string.Create(ci, $"  final_result.zarr (labels level 0, {codec.Id}:{codec.Level}, chunks {chunks}) {zarr,7:F2} s  {mib / zarr,7:F0} MiB/s  {last.ZarrLabels / 1048576.0,7:F1} MiB on disk  {Times(passes.Select(p => p.S.ZarrSeconds))}"));
                ctx.Out.WriteLine(string.Create(ci, $"  zarr / h5 write time {zarr / h5:F2}; OME-Zarr completion (label pyramid, EM and its pyramid, metadata) {Median(passes.Select(p => p.Finish)):F2} s, whole store {last.Zarr / 1048576.0:F1} MiB"));
                ctx.Out.WriteLine(string.Create(ci, $"  peak resident memory {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB; largest output slab {last.S.PeakSlabBytes / 1048576.0:F0} MiB"));
                return FfnCli.Ok;
            }
            finally
            {
                if (string.IsNullOrWhiteSpace(given)) Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>An EM-like uint8 image of the same cells: dark walls, a grey level per cell, a little texture.</summary>
    private static void WriteEm(string path, Vec3i shape, Vec3i cell, CancellationToken ct)
    {
        using var w = Hdf5VolumeWriter.Create(path);
        w.AddDataset("raw", DType.UInt8, shape, Vec3i.Min(new Vec3i(64, 64, 64), shape), 4, new Dictionary<string, object>());
        // Thin slabs: the generator holds 12 bytes a voxel, and a memory-bounded run of this bench must not trip on it.
        int depth = (int)Math.Clamp((1L << 22) / ((long)shape.Y * shape.X), 1, 64);
        foreach (var slab in Box3.FromShape(shape).Tiles(new Vec3i(Math.Min(depth, shape.Z), shape.Y, shape.X)))
        {
            ct.ThrowIfCancellationRequested();
            var labels = SyntheticTiles.Tile(shape, slab, cell);
            var v = new Volume<byte>(slab.Size, slab.Start);
            for (long i = 0; i < v.Length; i++)
                v.Data[i] = labels.Data[i] == 0 ? (byte)40 : (byte)(140 + labels.Data[i] * 37 % 70 + (i * 2654435761L >> 7 & 7));
            w.WriteBlock("raw", v);
        }
        w.Commit();
    }

    private static long DirBytes(string dir) => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
