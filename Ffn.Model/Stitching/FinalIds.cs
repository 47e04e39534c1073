using System.Runtime.CompilerServices;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Stitching;

/// <summary>
/// The output id of every object (block, local id) once the merges are resolved: each merged object with voxels in
/// some Core gets the next id 1..K in the order of its first such pair by block index, then local id; objects with
/// no Core voxels get 0. Relabels a block's labels into an output slab.
/// </summary>
internal sealed class FinalIds
{
    private readonly IReadOnlyList<BlockLabels> _tables;
    private readonly uint[][] _finalOfRank;

    private FinalIds(IReadOnlyList<BlockLabels> tables, uint[][] finalOfRank, long count)
    {
        _tables = tables;
        _finalOfRank = finalOfRank;
        Count = count;
    }

    /// <summary>K, the number of output objects.</summary>
    public long Count { get; }

    /// <summary>Compact ids by first (block index, local id) with Core voxels; per block a rank → final id table.</summary>
    public static FinalIds Assign(IReadOnlyList<BlockLabels> tables, UnionFind uf)
    {
        var idOfRoot = new uint[uf.Count];
        var result = new uint[tables.Count][];
        uint next = 0;
        for (int b = 0; b < tables.Count; b++)
        {
            var t = tables[b];
            for (int r = 0; r < t.Count; r++)
            {
                if (t.CoreCounts[r] == 0) continue;
                int root = uf.Find(t.Base + r);
                if (idOfRoot[root] != 0) continue;
                if (next == uint.MaxValue) throw new InvalidDataException("more than 4G objects do not fit uint32 output");
                idOfRoot[root] = ++next;
            }
        }
        for (int b = 0; b < tables.Count; b++)
        {
            var t = tables[b];
            var map = result[b] = new uint[t.Count];
            for (int r = 0; r < t.Count; r++) map[r] = t.CoreCounts[r] == 0 ? 0 : idOfRoot[uf.Find(t.Base + r)];
        }
        return new FinalIds(tables, result, next);
    }

    /// <summary>
    /// Writes block <paramref name="block"/>'s final ids over <paramref name="part"/> of <paramref name="slab"/>
    /// from its labels (which cover part), or zeros for an empty block (null labels).
    /// </summary>
    public void Relabel(int block, Volume<uint>? labels, Box3 part, Volume<uint> slab)
    {
        var t = _tables[block];
        var finalOfRank = _finalOfRank[block];
        var rel = part.Start - slab.Offset;
        if (labels is null)
        {
            for (int z = 0; z < part.Size.Z; z++)
            for (int y = 0; y < part.Size.Y; y++)
                slab.Row(rel.Z + z, rel.Y + y).Slice(rel.X, part.Size.X).Clear();
            return;
        }
        var src = part.Start - labels.Offset;
        // z slices in parallel (lookups are read-only); small parts stay on this thread.
        var options = new ParallelOptions { MaxDegreeOfParallelism = part.Volume >= 1 << 20 ? -1 : 1 };
        Parallel.For(0, part.Size.Z, options, z =>
        {
            for (int y = 0; y < part.Size.Y; y++)
                RelabelRow(block, t, finalOfRank, labels.Row(src.Z + z, src.Y + y).Slice(src.X, part.Size.X),
                    slab.Row(rel.Z + z, rel.Y + y).Slice(rel.X, part.Size.X));
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    private static void RelabelRow(int block, BlockLabels t, uint[] finalOfRank, ReadOnlySpan<uint> from, Span<uint> to)
    {
        uint last = 0, lastOut = 0;
        for (int x = 0; x < from.Length; x++)
        {
            uint v = from[x];
            if (v == 0) { to[x] = 0; continue; }
            if (v != last)
            {
                int r = t.Rank(v);
                if (r < 0) throw new InvalidDataException($"block {block}: label {v} was not in the labels given to Add (the block changed)");
                last = v;
                lastOut = finalOfRank[r];
            }
            to[x] = lastOut;
        }
    }
}
