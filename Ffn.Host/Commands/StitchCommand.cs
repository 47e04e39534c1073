using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.Geometry;
using Ffn.Model.Stitching;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn stitch INPUT_DIR OUTPUT.tif`: FFN-PyTorch's stitch_save.py on a directory of seg_z_y_x tiles — unique ids,
/// optional faces merge (along z too), written streaming by <see cref="BlockAssembler"/>.
/// </summary>
public static class StitchCommand
{
    private const string S = "stitch";

    public static Command Create(CommandContext ctx)
    {
        var input = new Argument<string>("input-dir") { Description = "Directory of seg_z_y_x[_model].npy or .npz (key segmentation) tiles; z,y,x = the tile's corner" };
        var output = new Argument<string>("output") { Description = "Multi-page (Big)TIFF to write, as FFN-PyTorch's final_result.tif" };
        var shape = VecOption(ctx, "--original-shape", "Volume shape z,y,x (also Z Y X)", "--original_shape");
        var tile = VecOption(ctx, "--tile-shape", "Tile grid shape z,y,x (also Z Y X); edge tiles are clipped to the volume", "--tile_shape");
        var minRun = Flags.Make<int>(ctx, S, "--min-consecutive-pixels", "Faces merge: run length each object needs inward from the face on both sides", "--min_consecutive_pixels");
        var merge = Flags.Make<string>(ctx, S, "--merge", "none (unique ids only) or faces (FFN-PyTorch's merge, on z, y and x faces)");
        var mergeLabels = Flags.Make<bool>(ctx, S, "--merge-labels", "FFN-PyTorch's switch: same as --merge faces", "--merge_labels");
        var slabMib = Flags.Make<int>(ctx, S, "--slab-mib", "Output slab size (MiB of full z slices) held while writing; .npy tiles are read a box at a time into it");
        var h5 = Flags.Make<string>(ctx, S, "--h5", "Also write OUT.h5 with dataset 'segmentation' (chunked, gzip); \"\" = none");
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var cmd = new Command("stitch", "Stitch seg_z_y_x tiles into one volume with unique ids, optionally merging objects across tile faces (FFN-PyTorch's stitch_save.py)")
        {
            input, output, shape, tile, minRun, merge, mergeLabels, slabMib, h5, json,
        };
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var volume = ParseVec("--original-shape", r.GetValue(shape));
            var tileShape = ParseVec("--tile-shape", r.GetValue(tile));
            var mode = r.GetValue(mergeLabels) ? MergeMode.Faces : Flags.Choice("--merge", (r.GetValue(merge) ?? "none").Trim(),
                [("none", MergeMode.None), ("faces", MergeMode.Faces)], "(tiles do not overlap; `ffn run --merge overlap` stitches overlapping blocks)");
            int run = Flags.AtLeast(r, minRun);
            var h5Path = r.GetValue(h5) is { Length: > 0 } p ? p : null;
            var outPath = r.GetValue(output)!;
            OutputDirectory.EnsureParent("output", outPath);
            // The TIFF is uncompressed uint32; the HDF5 copy is compressed and not counted.
            DiskSpace.Require($"--original-shape {volume}", outPath, volume.Product * sizeof(uint), "the stitched uint32 volume");
            if (h5Path is not null)
            {
                OutputDirectory.EnsureParent("--h5", h5Path);
                Hdf5Output.CheckReplaceable("--h5", h5Path, "segmentation");
            }
            var total = System.Diagnostics.Stopwatch.StartNew();
            var tiles = TileDirectory.Scan(r.GetValue(input)!, volume, tileShape);

            ctx.Progress.Report($"stitch: {tiles.Present} of {tiles.Blocks.Count} tiles present in {tiles.Directory}, volume {volume} (z,y,x), merge {mode.ToString().ToLowerInvariant()}");
            int slab = Flags.AtLeast(r, slabMib);
            // .npz tiles cannot be read in parts: their output slab is a whole row of tiles.
            using var asm = new BlockAssembler(volume, tiles.Blocks, new MergeOptions(mode, run)) { SlabBytes = tiles.AllNpy ? slab * 1048576L : long.MaxValue };
            var meter = new StitchProgress("stitch: read", "tiles", tiles.Blocks.Count, ctx.Progress);
            var reading = new System.Diagnostics.Stopwatch();
            for (int i = 0; i < tiles.Blocks.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                reading.Start();
                var labels = tiles.Load(i);
                reading.Stop();
                asm.Add(i, labels);
                labels = null;
                // A tile is one large-object-heap array that the GC would otherwise keep around for several tiles;
                // freeing it now holds the peak near one tile (about 0.01 s a collection: little else is live).
                GC.Collect();
                meter.Add(1);
            }
            long sinceCollect = 0;
            var s = asm.Write((i, box) =>
            {
                // As above: boxes read for the output are garbage once relabelled; collect once a slab's worth has been read.
                if ((sinceCollect += box.Volume * sizeof(uint)) > slab * 1048576L) { GC.Collect(); sinceCollect = 0; }
                return tiles.LoadBox(i, box);
            }, h5Path, "segmentation", outPath, ctx.Progress, ct);
            double totalSeconds = total.Elapsed.TotalSeconds;
            long peak = PeakResidentBytes();
            var ci = CultureInfo.InvariantCulture;
            if (r.GetValue(json))
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    output = outPath, h5 = h5Path, shape = volume.ToArray(), tile_shape = tileShape.ToArray(), merge = mode.ToString().ToLowerInvariant(),
                    min_consecutive_pixels = run, tiles = tiles.Present, blocks = s.Blocks, voxels = s.Voxels,
                    objects_before = s.ObjectsBefore, objects_after = s.ObjectsAfter, pairs_merged = s.PairsMerged,
                    boundary_voxel_pairs = s.BoundaryVoxelPairs, read_s = reading.Elapsed.TotalSeconds, add_s = s.AddSeconds, write_load_s = s.WriteLoadSeconds, write_output_s = s.WriteOutputSeconds, merge_s = s.MergeSeconds, write_s = s.WriteSeconds,
                    peak_pending_bytes = s.PeakPendingBytes, peak_slab_bytes = s.PeakSlabBytes, peak_rss_bytes = peak, total_s = totalSeconds,
                }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                return FfnCli.Ok;
            }
            ctx.Out.WriteLine(string.Create(ci, $"wrote {outPath}{(h5Path is null ? "" : $" and {h5Path}:segmentation")}: {volume} (z,y,x) uint32, {s.ObjectsAfter} objects"));
            ctx.Out.WriteLine(string.Create(ci, $"tiles: {tiles.Present} of {s.Blocks}; objects {s.ObjectsBefore} -> {s.ObjectsAfter} ({s.PairsMerged} pairs merged over {s.BoundaryVoxelPairs} face voxel pairs)"));
            ctx.Out.WriteLine(string.Create(ci, $"seconds: {totalSeconds:F3} = read tiles {reading.Elapsed.TotalSeconds:F3} + id tables and merge data {s.AddSeconds:F3} (merge {s.MergeSeconds:F3}) + write {s.WriteSeconds:F3} (reading tiles again {s.WriteLoadSeconds:F3}, TIFF/HDF5 {s.WriteOutputSeconds:F3}); peak resident memory {peak / 1048576.0:F0} MiB"));
            return FfnCli.Ok;
        }
    }

    /// <summary>A z,y,x option that also takes FFN-PyTorch's three separate values (nargs=3); default from HOCON.</summary>
    private static Option<string[]> VecOption(CommandContext ctx, string name, string description, string alias)
    {
        var opt = new Option<string[]>(name, alias) { Description = description, Arity = new ArgumentArity(1, 3), AllowMultipleArgumentsPerToken = true };
        var key = $"ffn.{S}.{name.TrimStart('-')}";
        if (ctx.Config.Has(key) && ctx.Config.Get<string>(key) is { Length: > 0 } text) opt.DefaultValueFactory = _ => [text];
        return opt;
    }

    private static Vec3i ParseVec(string flag, string[]? parts)
    {
        if (parts is null || parts.Length == 0) throw Flags.Missing(flag, "a value Z,Y,X");
        return Flags.ParseVec(flag, string.Join(",", parts.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))));
    }

    /// <summary>This process's peak resident set size (VmHWM in /proc/self/status), or -1 where there is none.</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return -1;
    }
}
