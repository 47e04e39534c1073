using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Stitching;

/// <summary>
/// The distinct non-zero local ids of one block's labels (sorted), each with its voxel count inside the block's
/// Core, and a fast id → rank lookup. The object (block, id) is provisional element Base + rank of the assembler's
/// union-find. Built from the block's content alone, so it is the same whenever the block arrives.
/// </summary>
internal sealed class BlockLabels
{
    // A dense id → rank table while ids are this compact (FFN writes 1..N); a binary search otherwise.
    private const int DenseSlack = 4096;
    private const uint MaxCountingId = 1u << 22;

    private readonly int[]? _dense;

    private BlockLabels(uint[] ids, int[] coreCounts, int[]? dense)
    {
        Ids = ids;
        CoreCounts = coreCounts;
        _dense = dense;
    }

    /// <summary>A table of no ids (each block gets its own: Base differs).</summary>
    public static BlockLabels CreateEmpty() => new([], [], null);

    public uint[] Ids { get; }
    public int[] CoreCounts { get; }
    public int Base { get; set; }
    public int Count => Ids.Length;
    public long Bytes => Ids.Length * 8L + (_dense?.Length ?? 0) * 4L;

    /// <summary>Rank of <paramref name="id"/> among Ids, or -1.</summary>
    public int Rank(uint id)
    {
        if (_dense is not null) return id < (uint)_dense.Length ? _dense[id] - 1 : -1;
        int r = Array.BinarySearch(Ids, id);
        return r < 0 ? -1 : r;
    }

    public static BlockLabels Build(Volume<uint> labels, Box3 core)
    {
        var data = labels.Data;
        uint max = Max(data);
        if (max == 0) return CreateEmpty();
        return max < MaxCountingId ? BuildDense(labels, core, max) : BuildSparse(labels, core);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    private static BlockLabels BuildDense(Volume<uint> labels, Box3 core, uint max)
    {
        var seen = new int[max + 1];
        foreach (var v in labels.Data) seen[v]++;
        int[] coreCount;
        if (core == labels.Box) coreCount = (int[])seen.Clone(); // no overlap: one pass is enough
        else
        {
            coreCount = new int[max + 1];
            ForCoreRows(labels, core, row => { foreach (var v in row) coreCount[v]++; });
        }
        int n = 0;
        for (uint i = 1; i <= max; i++) if (seen[i] > 0) n++;
        var ids = new uint[n];
        var counts = new int[n];
        bool keepDense = max + 1 <= 4L * n + DenseSlack;
        int[]? dense = keepDense ? seen : null; // reused: rank + 1, or 0 when absent
        int k = 0;
        for (uint i = 0; i <= max; i++)
        {
            bool present = i != 0 && seen[i] > 0;
            if (present)
            {
                ids[k] = i;
                counts[k] = coreCount[i];
                k++;
            }
            if (dense is not null) dense[i] = present ? k : 0;
        }
        return new BlockLabels(ids, counts, dense);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    private static BlockLabels BuildSparse(Volume<uint> labels, Box3 core)
    {
        var present = new HashSet<uint>();
        uint last = 0;
        foreach (var v in labels.Data)
        {
            if (v == last) continue;
            last = v;
            if (v != 0) present.Add(v);
        }
        var ids = present.Order().ToArray();
        var counts = new int[ids.Length];
        ForCoreRows(labels, core, row =>
        {
            uint prev = 0;
            int rank = -1;
            foreach (var v in row)
            {
                if (v == 0) continue;
                if (v != prev) { prev = v; rank = Array.BinarySearch(ids, v); }
                counts[rank]++;
            }
        });
        return new BlockLabels(ids, counts, null);
    }

    /// <summary>Calls <paramref name="action"/> on each x-row of <paramref name="labels"/> inside <paramref name="box"/>.</summary>
    public static void ForCoreRows(Volume<uint> labels, Box3 box, SpanAction action)
    {
        var rel = box.Start - labels.Offset;
        for (int z = 0; z < box.Size.Z; z++)
        for (int y = 0; y < box.Size.Y; y++)
            action(labels.Row(rel.Z + z, rel.Y + y).Slice(rel.X, box.Size.X));
    }

    public delegate void SpanAction(Span<uint> row);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    internal static uint Max(ReadOnlySpan<uint> data)
    {
        uint max = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && data.Length >= Vector<uint>.Count)
        {
            var acc = Vector<uint>.Zero;
            var vs = MemoryMarshal.Cast<uint, Vector<uint>>(data);
            foreach (var v in vs) acc = Vector.Max(acc, v);
            for (int k = 0; k < Vector<uint>.Count; k++) max = Math.Max(max, acc[k]);
            i = vs.Length * Vector<uint>.Count;
        }
        for (; i < data.Length; i++) max = Math.Max(max, data[i]);
        return max;
    }

    /// <summary>
    /// uint64 block labels as uint32: unchanged when every id fits, otherwise each id replaced by its rank among the
    /// block's distinct ids (0 stays 0). Deterministic in the content, so Add and Write agree; order is kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    public static Volume<uint> Narrow(Volume<ulong> labels)
    {
        var src = labels.Data;
        ulong max = 0;
        foreach (var v in src) max = Math.Max(max, v);
        var result = new Volume<uint>(labels.Shape, labels.Offset);
        var dst = result.Data;
        if (max <= uint.MaxValue)
        {
            for (int i = 0; i < src.Length; i++) dst[i] = (uint)src[i];
            return result;
        }
        var distinct = new HashSet<ulong>(src);
        distinct.Remove(0);
        var sorted = distinct.Order().ToArray();
        ulong prev = 0;
        uint rank = 0;
        for (int i = 0; i < src.Length; i++)
        {
            var v = src[i];
            if (v == 0) { dst[i] = 0; continue; }
            if (v != prev) { prev = v; rank = (uint)Array.BinarySearch(sorted, v) + 1; }
            dst[i] = rank;
        }
        return result;
    }
}
