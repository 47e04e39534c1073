using System.Diagnostics;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Model.Volumes.Tiff;

namespace Ffn.Model.Stitching;

/// <summary>
/// Streams the stitched uint32 volume to HDF5 (chunked, gzip), a multi-page TIFF and/or zarr in z slabs of full (y, x)
/// cross-section, relabelling every block's Core part of a slab with its final ids, so memory holds one slab and
/// the block parts being read, never the volume.
/// </summary>
public sealed class StitchedVolumeWriter
{
    private readonly Vec3i _shape;
    private readonly IReadOnlyList<StitchBlock> _blocks;

    public StitchedVolumeWriter(Vec3i volumeShape, IReadOnlyList<StitchBlock> blocks)
    {
        _shape = volumeShape;
        _blocks = blocks;
    }

    /// <summary>HDF5 chunk shape (z, y, x) of the written dataset (clipped to the volume, and in z to the output slab depth) and its gzip level 0-9.</summary>
    public Vec3i Chunks { get; set; } = new(64, 64, 64);
    public int Gzip { get; set; } = 4;

    /// <summary>BigTIFF (true, as FFN-PyTorch's final_result.tif), classic TIFF (false) or by size (null).</summary>
    public bool? BigTiff { get; set; } = true;

    /// <summary>Also written slab by slab: a uint32 zarr array (level 0 of an OME-Zarr label image), or null.</summary>
    public Volumes.Zarr.ZarrVolumeWriter? Zarr { get; set; }

    /// <summary>
    /// Bytes of one output slab (full y, x cross-section) Write may hold. A z-row of blocks is written as one slab
    /// when it fits; otherwise in thinner slabs, each reloading the row's blocks.
    /// </summary>
    public long SlabBytes { get; set; } = 1L << 30;

    /// <summary>Time and memory of one Write: the largest slab held, seconds in the load callback and in the file writers.</summary>
    internal readonly record struct Stats(long PeakSlabBytes, double LoadSeconds, double OutputSeconds, double Hdf5Seconds, double TiffSeconds, double ZarrSeconds);

    /// <summary>
    /// Writes <paramref name="h5Path"/>:<paramref name="h5Dataset"/> (with <paramref name="h5Attributes"/>) and/or
    /// <paramref name="tiffPath"/>, each atomically. <paramref name="load"/>(i, part) returns block i's labels
    /// covering at least part (a part of its Core), or null for an empty block.
    /// </summary>
    internal Stats Write(FinalIds ids, Func<int, Box3, Volume<uint>?> load, string? h5Path, string h5Dataset,
        IReadOnlyDictionary<string, object> h5Attributes, string? tiffPath, IProgress<string>? progress, CancellationToken ct)
    {
        Stopwatch loadClock = new(), outputClock = new(), h5Clock = new(), tiffClock = new(), zarrClock = new();
        long peakSlab = 0;
        var shape = _shape;
        long slice = (long)shape.Y * shape.X * sizeof(uint);
        using var h5 = h5Path is null ? null : Hdf5VolumeWriter.Create(h5Path);
        int slabDepth = Math.Max(1, (int)Math.Min(shape.Z, SlabBytes / slice));
        var slabs = Slabs(slabDepth).ToList();
        // HDF5 chunks no deeper than a slab: a chunk is flushed once full, so deeper ones would be held across slabs.
        var chunks = Vec3i.Min(Chunks, shape);
        chunks = chunks with { Z = Math.Min(chunks.Z, slabDepth) };
        h5?.AddDataset(h5Dataset, DType.UInt32, shape, chunks, Gzip, h5Attributes);
        using var tiff = tiffPath is null ? null : TiffVolumeWriter.Create(tiffPath, DType.UInt32, shape, BigTiff);
        var meter = new ProgressMeter("stitch: write", "blocks", slabs.Sum(s => s.Blocks.Count), progress);
        Volume<uint>? slab = null;
        foreach (var (z0, depth, members) in slabs)
        {
            ct.ThrowIfCancellationRequested();
            if (slab is null || slab.Shape.Z != depth) slab = new Volume<uint>(new Vec3i(depth, shape.Y, shape.X));
            slab.Offset = new Vec3i(z0, 0, 0);
            peakSlab = Math.Max(peakSlab, slab.Length * sizeof(uint));
            var band = slab.Box;
            foreach (int i in members)
            {
                ct.ThrowIfCancellationRequested();
                var part = _blocks[i].Core.Intersect(band);
                loadClock.Start();
                var labels = load(i, part);
                loadClock.Stop();
                ids.Relabel(i, labels, part, slab);
                meter.Add(1);
            }
            outputClock.Start();
            Timed(h5Clock, () => h5?.WriteBlock(h5Dataset, slab));
            Timed(tiffClock, () => tiff?.WriteSlabs(slab));
            Timed(zarrClock, () => Zarr?.Write(slab));
            outputClock.Stop();
        }
        slab = null; // garbage before the writers flush their last chunks
        outputClock.Start();
        Timed(h5Clock, () => h5?.Commit());
        Timed(tiffClock, () => tiff?.Commit());
        outputClock.Stop();
        return new Stats(peakSlab, loadClock.Elapsed.TotalSeconds, outputClock.Elapsed.TotalSeconds,
            h5Clock.Elapsed.TotalSeconds, tiffClock.Elapsed.TotalSeconds, zarrClock.Elapsed.TotalSeconds);
    }

    private static void Timed(Stopwatch clock, Action write)
    {
        clock.Start();
        try { write(); }
        finally { clock.Stop(); }
    }

    /// <summary>Output slabs in z order: the z ranges between Core starts, cut to at most <paramref name="maxDepth"/>, with the blocks meeting each.</summary>
    private IEnumerable<(int Z0, int Depth, List<int> Blocks)> Slabs(int maxDepth)
    {
        var cuts = _blocks.Select(b => b.Core.Start.Z).Append(_shape.Z).Distinct().Order().ToList();
        for (int k = 0; k + 1 < cuts.Count; k++)
        {
            for (int z = cuts[k]; z < cuts[k + 1]; z += maxDepth)
            {
                int depth = Math.Min(maxDepth, cuts[k + 1] - z);
                var members = Enumerable.Range(0, _blocks.Count)
                    .Where(i => _blocks[i].Core.Start.Z < z + depth && _blocks[i].Core.End.Z > z).ToList();
                yield return (z, depth, members);
            }
        }
    }
}
