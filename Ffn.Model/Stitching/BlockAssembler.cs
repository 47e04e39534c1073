using System.Diagnostics;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Stitching;

/// <summary>
/// Stitches block segmentations into one volume with globally unique ids, merging objects across block boundaries,
/// in memory bounded by a few blocks. Blocks arrive through <see cref="Add"/> in any order; each leaves behind only
/// a table of its ids and the merge data its not-yet-arrived neighbours need (faces: one qualified plane per face;
/// overlap: its labels of each shared region), dropped as soon as the neighbour has come. <see cref="Write"/> then
/// assigns final ids (<see cref="FinalIds"/>) and streams the output (<see cref="Output"/>), reading every block
/// back through a callback.
/// </summary>
/// <remarks>
/// Final ids do not depend on arrival order: objects are (block, local id) pairs, merged by a union-find. Not
/// thread-safe: the caller serializes calls.
/// </remarks>
public sealed class BlockAssembler : IDisposable
{
    private readonly IReadOnlyList<StitchBlock> _blocks;
    private readonly MergeOptions _merge;
    private readonly BlockLabels?[] _tables;
    private readonly List<BlockPair>[] _pairsOf;
    private readonly bool[] _empty;
    private readonly UnionFind _uf = new();
    private readonly HashSet<ulong> _facePairs = new();
    private readonly Stopwatch _addClock = new(), _mergeClock = new();
    private int _added;
    private long _pairsMerged, _boundaryVoxelPairs;
    private bool _written;

    public BlockAssembler(Vec3i volumeShape, IReadOnlyList<StitchBlock> blocks, MergeOptions merge)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(merge);
        merge.Validate();
        if (!volumeShape.AllPositive) throw new ArgumentException($"volume shape must be positive, got {volumeShape}");
        VolumeShape = volumeShape;
        _blocks = blocks;
        _merge = merge;
        _tables = new BlockLabels?[blocks.Count];
        _empty = new bool[blocks.Count];
        _pairsOf = new List<BlockPair>[blocks.Count];
        for (int i = 0; i < blocks.Count; i++) _pairsOf[i] = [];
        Output = new StitchedVolumeWriter(volumeShape, blocks);
        Validate();
        FindPairs();
    }

    public Vec3i VolumeShape { get; }
    public IReadOnlyList<StitchBlock> Blocks => _blocks;
    public MergeOptions Merge => _merge;

    /// <summary>The output's settings: HDF5 chunks and gzip level, BigTIFF, slab size.</summary>
    public StitchedVolumeWriter Output { get; }

    /// <summary><see cref="StitchedVolumeWriter.SlabBytes"/> of <see cref="Output"/>.</summary>
    public long SlabBytes
    {
        get => Output.SlabBytes;
        set => Output.SlabBytes = value;
    }

    public bool IsComplete => _added == _blocks.Count;
    public int AddedCount => _added;

    /// <summary>Bytes of merge data parked for neighbours that have not arrived yet (now, and the most ever).</summary>
    public long PendingBytes { get; private set; }
    public long PeakPendingBytes { get; private set; }

    /// <summary>Bytes of the per-block id tables and the union-find (grow with the number of objects, not voxels).</summary>
    public long TableBytes => _tables.Sum(t => t?.Bytes ?? 0) + _uf.Bytes;

    /// <summary>Number of block pairs whose merge data meet (face contacts or overlapping label boxes).</summary>
    public int PairCount => _pairsOf.Sum(l => l.Count) / 2;

    public bool IsAdded(int blockIndex) => _tables[blockIndex] is not null;

    /// <summary>
    /// Takes block <paramref name="blockIndex"/>'s labels, which cover its LabelBox exactly (Offset = LabelBox.Start),
    /// with block-local ids and 0 as background; null for an empty or skipped block. Each block exactly once, any order.
    /// </summary>
    public void Add(int blockIndex, Volume<uint>? labels)
    {
        if ((uint)blockIndex >= (uint)_blocks.Count) throw new ArgumentOutOfRangeException(nameof(blockIndex), blockIndex, $"there are {_blocks.Count} blocks");
        if (_tables[blockIndex] is not null) throw new InvalidOperationException($"block {blockIndex} was already added");
        if (_written) throw new InvalidOperationException("the volume was already written");
        var block = _blocks[blockIndex];
        CheckBox(block, labels);
        _addClock.Start();
        try
        {
            var table = labels is null ? BlockLabels.CreateEmpty() : BlockLabels.Build(labels, block.Core);
            bool empty = table.Count == 0;
            table.Base = _uf.AddRange(table.Count);
            _tables[blockIndex] = table;
            _empty[blockIndex] = labels is null;
            _added++;

            _mergeClock.Start();
            foreach (var pair in _pairsOf[blockIndex])
            {
                var mine = empty ? null : Extract(pair, blockIndex, labels!);
                int other = pair.Other(blockIndex);
                if (_tables[other] is null)
                {
                    pair.Pending = mine;
                    PendingBytes += Bytes(mine);
                    PeakPendingBytes = Math.Max(PeakPendingBytes, PendingBytes);
                    continue;
                }
                var theirs = pair.Pending;
                PeakPendingBytes = Math.Max(PeakPendingBytes, PendingBytes + Bytes(mine));
                PendingBytes -= Bytes(theirs);
                pair.Pending = null;
                _boundaryVoxelPairs += pair.Region.Volume;
                if (mine is null || theirs is null) continue;
                var (lowData, highData) = pair.Low == blockIndex ? (mine, theirs) : (theirs, mine);
                _pairsMerged += _merge.Mode == MergeMode.Faces
                    ? FaceMerge.Match(lowData, _tables[pair.Low]!, highData, _tables[pair.High]!, _uf, _facePairs)
                    : OverlapMerge.Match(lowData, _tables[pair.Low]!, highData, _tables[pair.High]!, _merge, _uf);
            }
            _mergeClock.Stop();
        }
        finally
        {
            _addClock.Stop();
            _mergeClock.Stop();
        }
    }

    /// <summary>
    /// Labels of either id type: uint32 as above, uint64 narrowed to uint32 (by rank when ids exceed 32 bits; Write
    /// narrows its reloaded labels the same way). A literal null binds to the uint32 overload.
    /// </summary>
    public void Add(int blockIndex, Volume? labels) => Add(blockIndex, ToUInt32(blockIndex, labels));

    private static Volume<uint>? ToUInt32(int blockIndex, Volume? raw) => raw switch
    {
        null => null,
        Volume<uint> u => u,
        Volume<ulong> l => BlockLabels.Narrow(l),
        _ => throw new ArgumentException($"block {blockIndex}: labels must be uint32 or uint64, got {raw.DType.Name()}"),
    };

    /// <summary>
    /// After every block was added: resolves the merges, assigns final ids and streams the output in z slabs, each
    /// block's Core relabelled from <paramref name="load"/> (which returns the same labels as given to Add: uint32 or
    /// uint64, or null for an empty block). Writes <paramref name="h5Path"/>:<paramref name="h5Dataset"/> (chunked,
    /// gzip, uint32) and/or the multi-page <paramref name="tiffPath"/>, each atomically (<see cref="AtomicFile"/>).
    /// </summary>
    public StitchSummary Write(Func<int, Volume?> load, string? h5Path, string h5Dataset, string? tiffPath,
        IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(load);
        return Write((i, _) => load(i), wholeBlocks: true, h5Path, h5Dataset, tiffPath, progress, ct);
    }

    /// <summary>
    /// As the other Write, with a loader that reads only part of a block: <paramref name="loadBox"/>(i, box) returns
    /// labels of block i (as given to Add) covering at least <paramref name="loadBox"/>'s box, a part of its Core
    /// (null for an empty block). With file formats that read boxes cheaply (.npy, chunked HDF5) the output slab
    /// can then be thin (<see cref="SlabBytes"/>) without reading any block more than once in all.
    /// </summary>
    public StitchSummary Write(Func<int, Box3, Volume?> loadBox, string? h5Path, string h5Dataset, string? tiffPath,
        IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(loadBox);
        return Write(loadBox, wholeBlocks: false, h5Path, h5Dataset, tiffPath, progress, ct);
    }

    private StitchSummary Write(Func<int, Box3, Volume?> load, bool wholeBlocks, string? h5Path, string h5Dataset, string? tiffPath,
        IProgress<string>? progress, CancellationToken ct)
    {
        if (!IsComplete)
            throw new InvalidOperationException($"only {_added} of {_blocks.Count} blocks were added (missing: "
                + string.Join(",", Enumerable.Range(0, _blocks.Count).Where(i => _tables[i] is null).Take(10)) + ")");
        _mergeClock.Start();
        var tables = _tables.Select(t => t!).ToList();
        var ids = FinalIds.Assign(tables, _uf);
        _mergeClock.Stop();

        var writeClock = Stopwatch.StartNew();
        var attributes = new Dictionary<string, object> { ["objects"] = ids.Count, ["merge"] = _merge.Mode.ToString().ToLowerInvariant() };
        var stats = Output.Write(ids, (i, part) =>
        {
            var labels = ToUInt32(i, load(i, part));
            if (wholeBlocks) CheckBox(_blocks[i], labels);
            else if (labels is not null && !labels.Box.Contains(part))
                throw new ArgumentException($"block {i}: labels cover {labels.Box}, which misses part of the requested {part}");
            return labels;
        }, h5Path, h5Dataset, attributes, tiffPath, progress, ct);
        _written = true;
        long objectsBefore = tables.Sum(t => t.CoreCounts.Count(c => c > 0));
        return new StitchSummary(_blocks.Count, _empty.Count(e => e), VolumeShape.Product, objectsBefore, ids.Count, _pairsMerged,
            _boundaryVoxelPairs, _addClock.Elapsed.TotalSeconds, _mergeClock.Elapsed.TotalSeconds,
            writeClock.Elapsed.TotalSeconds, PeakPendingBytes, stats.PeakSlabBytes, stats.LoadSeconds, stats.OutputSeconds)
        {
            Hdf5Seconds = stats.Hdf5Seconds, TiffSeconds = stats.TiffSeconds, ZarrSeconds = stats.ZarrSeconds,
        };
    }

    public void Dispose()
    {
        foreach (var list in _pairsOf)
        foreach (var p in list) p.Pending = null;
        PendingBytes = 0;
    }

    private Volume<uint>? Extract(BlockPair pair, int blockIndex, Volume<uint> labels)
    {
        var block = _blocks[blockIndex];
        return _merge.Mode == MergeMode.Faces
            ? FaceMerge.QualifiedPlane(labels, block.Core, pair.Region, pair.Axis, pair.Low == blockIndex, _merge.MinConsecutiveVoxels, VolumeShape)
            : labels.Crop(pair.Region);
    }

    private static long Bytes(Volume<uint>? v) => v is null ? 0 : v.Length * sizeof(uint);

    private void CheckBox(StitchBlock block, Volume<uint>? labels)
    {
        if (labels is not null && labels.Box != block.LabelBox)
            throw new ArgumentException($"block {block.Index}: labels cover {labels.Box}, expected the block's label box {block.LabelBox}");
    }

    private void Validate()
    {
        var volume = Box3.FromShape(VolumeShape);
        long covered = 0;
        for (int i = 0; i < _blocks.Count; i++)
        {
            var b = _blocks[i] ?? throw new ArgumentException($"block {i} is null");
            if (b.Index != i) throw new ArgumentException($"block at position {i} has index {b.Index}");
            if (b.Core.IsEmpty || !volume.Contains(b.Core)) throw new ArgumentException($"block {i}: core {b.Core} is empty or outside the volume {VolumeShape}");
            if (!b.LabelBox.Contains(b.Core) || !volume.Contains(b.LabelBox)) throw new ArgumentException($"block {i}: label box {b.LabelBox} must contain the core {b.Core} and lie inside the volume {VolumeShape}");
            covered += b.Core.Volume;
        }
        if (covered != VolumeShape.Product)
            throw new ArgumentException($"block cores cover {covered} voxels, the volume {VolumeShape} has {VolumeShape.Product}");
    }

    /// <summary>
    /// A sweep over blocks sorted by LabelBox start z finds every pair whose label boxes meet or touch: checks that
    /// Cores are disjoint (with the voxel count, they then tile the volume) and records the pairs the merge mode needs.
    /// </summary>
    private void FindPairs()
    {
        var order = Enumerable.Range(0, _blocks.Count).OrderBy(i => _blocks[i].LabelBox.Start.Z).ToArray();
        for (int oi = 0; oi < order.Length; oi++)
        {
            var a = _blocks[order[oi]];
            for (int oj = oi + 1; oj < order.Length; oj++)
            {
                var b = _blocks[order[oj]];
                if (b.LabelBox.Start.Z > a.LabelBox.End.Z) break;
                if (!a.Core.Intersect(b.Core).IsEmpty)
                    throw new ArgumentException($"block {a.Index} core {a.Core} overlaps block {b.Index} core {b.Core}");
                var (lo, hi) = a.Index < b.Index ? (a, b) : (b, a);
                switch (_merge.Mode)
                {
                    case MergeMode.Faces:
                        for (int axis = 0; axis < 3; axis++)
                        {
                            var (low, high) = lo.Core.End[axis] == hi.Core.Start[axis] ? (lo, hi)
                                : hi.Core.End[axis] == lo.Core.Start[axis] ? (hi, lo) : (null, null);
                            if (low is null || high is null) continue;
                            var contact = Contact(low.Core, high.Core, axis);
                            if (contact.IsEmpty) continue;
                            AddPair(new BlockPair(low.Index, high.Index, axis, contact));
                        }
                        break;
                    case MergeMode.Overlap:
                        var shared = a.LabelBox.Intersect(b.LabelBox);
                        if (!shared.IsEmpty) AddPair(new BlockPair(lo.Index, hi.Index, -1, shared));
                        break;
                }
            }
        }
    }

    /// <summary>The one-voxel layer at the boundary where <paramref name="low"/> ends along axis, over both faces' common extent.</summary>
    private static Box3 Contact(Box3 low, Box3 high, int axis)
    {
        var grown = low with { Size = low.Size + Unit(axis) };
        var c = grown.Intersect(high);
        return c.IsEmpty ? c : c with { Size = Set(c.Size, axis, 1) };
    }

    private static Vec3i Unit(int axis) => axis switch { 0 => new(1, 0, 0), 1 => new(0, 1, 0), _ => new(0, 0, 1) };

    private static Vec3i Set(Vec3i v, int axis, int value) => axis switch
    {
        0 => v with { Z = value },
        1 => v with { Y = value },
        _ => v with { X = value },
    };

    private void AddPair(BlockPair p)
    {
        _pairsOf[p.Low].Add(p);
        _pairsOf[p.High].Add(p);
    }
}
