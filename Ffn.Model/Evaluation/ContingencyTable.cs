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

    /// <summary>Adds one block of each; the sources name the inputs in errors.</summary>
    public void Add(Volume segmentation, Volume groundTruth, string segmentationSource = "segmentation", string groundTruthSource = "ground truth")
    {
        if (segmentation.Shape != groundTruth.Shape)
            throw new InputException($"segmentation block {segmentation.Shape} and ground-truth block {groundTruth.Shape} differ in shape");
        var seg = Ids(segmentation, segmentationSource);
        var gt = Ids(groundTruth, groundTruthSource);
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

    /// <summary>Label ids as unsigned 64-bit values; negative or fractional labels are refused, naming the input and voxel.</summary>
    private static ulong[] Ids(Volume v, string source) => v switch
    {
        Volume<byte> b => b.Data.Select(x => (ulong)x).ToArray(),
        Volume<ushort> b => b.Data.Select(x => (ulong)x).ToArray(),
        Volume<uint> b => b.Data.Select(x => (ulong)x).ToArray(),
        Volume<ulong> b => b.Data,
        Volume<int> b => NonNegative(b.Data.Select(x => (long)x).ToArray(), v, source),
        Volume<long> b => NonNegative(b.Data, v, source),
        _ => throw new InputException($"{source}: labels must be integers, found {v.DType.Name()}"),
    };

    private static ulong[] NonNegative(long[] ids, Volume v, string source)
    {
        int i = Array.FindIndex(ids, x => x < 0);
        if (i < 0) return [.. ids.Select(x => (ulong)x)];
        var s = v.Shape;
        var at = v.Offset + new Geometry.Vec3i((int)(i / ((long)s.Y * s.X)), (int)(i / s.X % s.Y), (int)(i % s.X));
        throw new InputException($"{source}: negative label {ids[i]} at z,y,x {at}");
    }
}
