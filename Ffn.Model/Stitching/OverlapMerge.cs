using System.Runtime.CompilerServices;
using Ffn.Model.Volumes;

namespace Ffn.Model.Stitching;

/// <summary>
/// The overlap rule: two blocks labelled the same region; objects a (first block) and b (second) that share at least
/// MinOverlapVoxels voxels there, with intersection over union (within the region) at least MinIou, are one object.
/// </summary>
internal static class OverlapMerge
{
    /// <summary>Unions the matching objects of the two blocks' labels of one region; returns the pairs merged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    public static long Match(Volume<uint> a, BlockLabels ta, Volume<uint> b, BlockLabels tb, MergeOptions o, UnionFind uf)
    {
        var da = a.Data;
        var db = b.Data;
        var countA = new int[ta.Count];
        var countB = new int[tb.Count];
        var pairs = new Dictionary<ulong, int>();
        uint lastA = 0, lastB = 0;
        int rankA = -1, rankB = -1;
        ulong runKey = ulong.MaxValue;
        int run = 0;
        for (int i = 0; i < da.Length; i++)
        {
            uint va = da[i], vb = db[i];
            if (va != 0)
            {
                if (va != lastA) { lastA = va; rankA = ta.Rank(va); }
                countA[rankA]++;
            }
            if (vb != 0)
            {
                if (vb != lastB) { lastB = vb; rankB = tb.Rank(vb); }
                countB[rankB]++;
            }
            if (va == 0 || vb == 0) continue;
            // Runs of one pair are long; count them locally and touch the dictionary once per run.
            ulong key = ((ulong)(uint)rankA << 32) | (uint)rankB;
            if (key == runKey)
            {
                run++;
                continue;
            }
            if (run > 0) Accumulate(pairs, runKey, run);
            runKey = key;
            run = 1;
        }
        if (run > 0) Accumulate(pairs, runKey, run);

        long merged = 0;
        foreach (var (key, shared) in pairs)
        {
            int ra = (int)(key >> 32), rb = (int)(uint)key;
            double iou = shared / (double)(countA[ra] + countB[rb] - shared);
            if (shared >= o.MinOverlapVoxels && iou >= o.MinIou)
            {
                merged++;
                uf.Union(ta.Base + ra, tb.Base + rb);
            }
        }
        return merged;
    }

    private static void Accumulate(Dictionary<ulong, int> pairs, ulong key, int n)
    {
        ref int slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(pairs, key, out _);
        slot += n;
    }
}
