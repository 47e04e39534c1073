using Ffn.Model.Volumes;

namespace Ffn.Model.Evaluation;

/// <summary>
/// Voxel counts per (ground-truth id, segmentation id) pair over voxels whose ground truth is not 0, accumulated
/// block by block so volumes larger than memory can be scored (scikit-image's contingency_table with
/// ignore_labels=(0,)).
/// </summary>
public sealed class ContingencyTable
{
    private readonly Dictionary<(ulong Gt, ulong Seg), long> _pairs = new();

    public long Total { get; private set; }

    public IReadOnlyDictionary<(ulong Gt, ulong Seg), long> Pairs => _pairs;

    public void Add(Volume segmentation, Volume groundTruth)
    {
        if (segmentation.Shape != groundTruth.Shape)
            throw new InputException($"segmentation block {segmentation.Shape} and ground-truth block {groundTruth.Shape} differ in shape");
        var seg = Ids(segmentation);
        var gt = Ids(groundTruth);
        // Runs of equal pairs are common (objects are contiguous along x): count them before touching the map.
        (ulong, ulong) last = default;
        long run = 0;
        for (long i = 0; i < gt.Length; i++)
        {
            if (gt[i] == 0) continue;
            var key = (gt[i], seg[i]);
            if (run > 0 && key == last) { run++; continue; }
            Flush(last, run);
            last = key;
            run = 1;
        }
        Flush(last, run);
    }

    private void Flush((ulong, ulong) key, long n)
    {
        if (n == 0) return;
        _pairs[key] = _pairs.GetValueOrDefault(key) + n;
        Total += n;
    }

    /// <summary>Label ids as unsigned 64-bit values; negative or fractional labels are refused.</summary>
    private static ulong[] Ids(Volume v) => v switch
    {
        Volume<byte> b => b.Data.Select(x => (ulong)x).ToArray(),
        Volume<ushort> b => b.Data.Select(x => (ulong)x).ToArray(),
        Volume<uint> b => b.Data.Select(x => (ulong)x).ToArray(),
        Volume<ulong> b => b.Data,
        Volume<int> b => b.Data.Select(x => x >= 0 ? (ulong)x : throw new InputException($"negative label {x}")).ToArray(),
        Volume<long> b => b.Data.Select(x => x >= 0 ? (ulong)x : throw new InputException($"negative label {x}")).ToArray(),
        _ => throw new InputException($"labels must be integers, found {v.DType.Name()}"),
    };
}
