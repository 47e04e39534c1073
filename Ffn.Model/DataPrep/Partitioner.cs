using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.DataPrep;

/// <summary>
/// google/ffn's compute_partitions: for every voxel of an object, the fraction of its local object mask (LOM) box
/// that belongs to the same object, quantized by thresholds into uint8 partition values. Bit-identical to
/// google/ffn on the same input (see <see cref="ValueTable"/> for the float64 comparison).
/// </summary>
/// <remarks>
/// google/ffn builds a full-volume mask, summed-volume table and threshold pass per object. Here the labels are
/// recoded once to dense 4-byte ids (<see cref="LabelIndex"/>), and each object's counts are running box sums
/// over its own bounding box only (<see cref="LomCounter"/>), objects in parallel, largest first. Memory: 4 bytes
/// per voxel for the ids, 1 for the output (plus 1 with a mask), and per worker thread a ring of 2rz+1 slices of
/// the largest bounding box processed.
/// </remarks>
public static class Partitioner
{
    /// <summary>The value of voxels outside the valid region, excluded or masked (build-coordinates skips them).</summary>
    public const byte Excluded = 255;

    public const string BoundingBoxesAttribute = "bounding_boxes";
    public const string PartitionCountsAttribute = "partition_counts";

    public static PartitionResult Compute(Volume labels, PartitionOptions options, Volume? mask = null,
        IProgress<string>? progress = null, CancellationToken ct = default) =>
        Compute(new InMemoryVolumeReader("labels", labels), options,
            mask is null ? null : new InMemoryVolumeReader("mask", mask), progress, ct);

    /// <summary>
    /// Computes the partition map of <paramref name="labels"/>. A non-null <paramref name="mask"/> (same shape,
    /// any dtype) marks as excluded every valid voxel whose LOM box holds a non-zero mask voxel, as google/ffn does
    /// with its mask_configs.
    /// </summary>
    /// <exception cref="InputException">float or empty labels, no labelled voxel, a radius too large for the
    /// volume, or a mask of another shape.</exception>
    public static PartitionResult Compute(IVolumeReader labels, PartitionOptions options, IVolumeReader? mask = null,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        var shape = labels.Info.Shape;
        LabelDType.Require(labels);
        if (shape.Product == 0) throw new InputException($"{labels.Source}: the label volume is empty (shape {shape})");
        var r = options.LomRadius;
        var valid = new Box3(r, shape - r * 2);
        if (valid.IsEmpty)
            throw new InputException($"{labels.Source}: LOM radius (x,y,z) {r.Reversed()} is too large for the volume " +
                $"of shape (z,y,x) {shape}: every axis needs more than 2 * radius voxels");
        if (mask is not null && mask.Info.Shape != shape)
            throw new InputException($"{mask.Source}: mask shape (z,y,x) {mask.Info.Shape} differs from the label shape {shape}");

        var index = LabelIndex.Build(labels, progress, ct);
        if (index.Objects.Length == 0) throw new InputException($"{labels.Source}: no labelled voxels (every voxel is 0)");
        var whitelist = options.IdWhitelist is null ? null : new HashSet<long>(options.IdWhitelist);
        var work = new List<int>();
        int dust = 0;
        for (int k = 0; k < index.Objects.Length; k++)
        {
            var obj = index.Objects[k];
            if (obj.Count < options.MinSize) dust++;
            else if (whitelist is null || whitelist.Contains(obj.Label)) work.Add(k + 1);
        }

        var output = new byte[shape.Product];
        output.AsSpan().Fill(Excluded);
        for (int z = valid.Start.Z; z < valid.End.Z; z++)
        for (int y = valid.Start.Y; y < valid.End.Y; y++)
            output.AsSpan(RowIndex(shape, z, y) + valid.Start.X, valid.Size.X).Clear();
        foreach (var region in options.ExclusionRegions) Exclude(output, shape, valid, region);
        if (mask is not null) ApplyMask(mask, output, shape, r, valid, ct);

        // Largest boxes first, handed out one at a time, so no worker is left with a giant at the end.
        var ordered = work.OrderByDescending(id => index.Objects[id - 1].Box.Volume).ToArray();
        var table = new ValueTable(options.Thresholds, (2L * r.Z + 1) * (2L * r.Y + 1) * (2L * r.X + 1));
        var meter = new ProgressMeter("partition: objects", "objects", ordered.Length, progress);
        int next = -1;
        int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, ordered.Length));
        Parallel.For(0, workers, new ParallelOptions { CancellationToken = ct }, _ =>
        {
            var counter = new LomCounter(index.Ids, shape, r, valid, output, table);
            for (int i = Interlocked.Increment(ref next); i < ordered.Length; i = Interlocked.Increment(ref next))
            {
                ct.ThrowIfCancellationRequested();
                counter.Process(ordered[i], index.Objects[ordered[i] - 1].Box);
                meter.Add(1);
            }
        });

        return new PartitionResult(new Volume<byte>(output, shape), valid, options)
        {
            LabelCount = index.Objects.Length,
            ObjectsPartitioned = ordered.Length,
            DustObjects = dust,
            ValueCounts = CountValues(output, shape, valid),
        };
    }

    /// <summary>
    /// The boxes (z, y, x) the input declares in attributes named bounding_boxes* (google/ffn's convention:
    /// rows of (start, size) in x, y, z), in attribute-name order; the whole volume when there are none.
    /// </summary>
    public static IReadOnlyList<Box3> ReadBoundingBoxes(IVolumeReader labels)
    {
        var boxes = new List<Box3>();
        if (labels is Hdf5VolumeReader h5)
        {
            foreach (var (name, value) in h5.ReadAttributes().Where(a => a.Key.StartsWith(BoundingBoxesAttribute, StringComparison.Ordinal))
                         .OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                long[] v = value switch
                {
                    int[] a => a.Select(x => (long)x).ToArray(),
                    long[] a => a,
                    uint[] a => a.Select(x => (long)x).ToArray(),
                    ulong[] a => a.Select(x => (long)x).ToArray(),
                    _ => throw new InputException($"{labels.Source}: attribute {name} is not an integer array of (start, size) rows"),
                };
                if (v.Length % 6 != 0)
                    throw new InputException($"{labels.Source}: attribute {name} holds {v.Length} values, not rows of (start x,y,z, size x,y,z)");
                for (int i = 0; i < v.Length; i += 6)
                    boxes.Add(new Box3(new Vec3i((int)v[i + 2], (int)v[i + 1], (int)v[i]), new Vec3i((int)v[i + 5], (int)v[i + 4], (int)v[i + 3])));
            }
        }
        if (boxes.Count == 0) boxes.Add(labels.Info.Box);
        return boxes;
    }

    /// <summary>google/ffn's adjust_bboxes: shrink each box by the radius on every side, keep the non-empty ones.</summary>
    public static IReadOnlyList<Box3> AdjustBoundingBoxes(IEnumerable<Box3> boxes, Vec3i radius) =>
        boxes.Select(b => new Box3(b.Start + radius, b.Size - radius * 2)).Where(b => b.Size.AllPositive).ToList();

    /// <summary>
    /// Writes the partition map as uint8 dataset <paramref name="dataset"/> of a new HDF5 file, slab by slab, with
    /// google/ffn's attributes: bounding_boxes (int64 [n, 2, 3], rows of start and size in x, y, z) and
    /// partition_counts (int64 [2, k]: values, then voxel counts inside the valid region). Atomic: the file appears
    /// complete or not at all.
    /// </summary>
    public static void Write(PartitionResult result, string path, string dataset, IReadOnlyList<Box3> boundingBoxes,
        Vec3i? chunks = null, int gzipLevel = 4, IProgress<string>? progress = null)
    {
        var shape = result.Partitions.Shape;
        var boxData = new long[boundingBoxes.Count * 6];
        for (int i = 0; i < boundingBoxes.Count; i++)
        {
            var (start, size) = (boundingBoxes[i].Start, boundingBoxes[i].Size);
            long[] row = [start.X, start.Y, start.Z, size.X, size.Y, size.Z];
            row.CopyTo(boxData, i * 6);
        }
        var counts = result.ValueCounts;
        var countData = counts.Select(c => (long)c.Value).Concat(counts.Select(c => c.Count)).ToArray();
        var attrs = new Dictionary<string, object>
        {
            [BoundingBoxesAttribute] = NdArray.Create(boxData, boundingBoxes.Count, 2, 3),
            [PartitionCountsAttribute] = NdArray.Create(countData, 2, counts.Count),
        };
        var chunkShape = Vec3i.Min(chunks ?? Vec3i.Fill(64), shape);
        using var w = Hdf5VolumeWriter.Create(path);
        w.AddDataset(dataset, DType.UInt8, shape, chunkShape, gzipLevel, attrs);
        // Whole bands of chunks: the writer compresses and drops each chunk as soon as it is full.
        var meter = new ProgressMeter("partition: writing", "slices", shape.Z, progress);
        foreach (var slab in Box3.FromShape(shape).Tiles(new Vec3i(chunkShape.Z, shape.Y, shape.X)))
        {
            w.WriteBlock(dataset, result.Partitions.Crop(slab));
            meter.Add(slab.Size.Z);
        }
        w.Commit();
    }

    private static int RowIndex(Vec3i shape, int z, int y) => (int)(((long)z * shape.Y + y) * shape.X);

    private static void Exclude(byte[] output, Vec3i shape, Box3 valid, ExclusionRegion s)
    {
        // The box around the sphere, one voxel wider than needed: the float64 test below decides, as in google/ffn.
        (int Lo, int Hi) Extent(double c, int lo, int hi) =>
            ((int)Math.Max(lo, Math.Floor(c - s.Radius) - 1), (int)Math.Min(hi - 1, Math.Ceiling(c + s.Radius) + 1));
        var (z0, z1) = Extent(s.Z, valid.Start.Z, valid.End.Z);
        var (y0, y1) = Extent(s.Y, valid.Start.Y, valid.End.Y);
        var (x0, x1) = Extent(s.X, valid.Start.X, valid.End.X);
        for (int z = z0; z <= z1; z++)
        for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            if (s.Contains(z, y, x)) output[RowIndex(shape, z, y) + x] = Excluded;
    }

    /// <summary>
    /// Marks valid voxels whose LOM box holds a non-zero mask voxel: the mask is dilated by the radius along x and
    /// y in place (running window counts), then along z with a running count per (y, x) column.
    /// </summary>
    private static void ApplyMask(IVolumeReader mask, byte[] output, Vec3i shape, Vec3i r, Box3 valid, CancellationToken ct)
    {
        int plane = shape.Y * shape.X;
        var m = new byte[shape.Product];
        foreach (var slab in mask.Info.Box.Tiles(new Vec3i(Math.Max(1, (16 << 20) / Math.Max(1, plane)), shape.Y, shape.X)))
        {
            ct.ThrowIfCancellationRequested();
            var v = mask.Read(slab).ConvertTo<bool>();
            var dst = m.AsSpan(RowIndex(shape, slab.Start.Z, 0), (int)slab.Volume);
            for (int i = 0; i < dst.Length; i++) dst[i] = v.Data[i] ? (byte)1 : (byte)0;
        }
        Parallel.For(0, shape.Z, new ParallelOptions { CancellationToken = ct }, z =>
        {
            var p = m.AsSpan(RowIndex(shape, z, 0), plane);
            var row = new byte[shape.X];
            for (int y = 0; y < shape.Y; y++)
            {
                var line = p.Slice(y * shape.X, shape.X);
                line.CopyTo(row);
                int c = 0;
                for (int x = 0; x <= Math.Min(shape.X - 1, r.X - 1); x++) c += row[x];
                for (int x = 0; x < shape.X; x++)
                {
                    if (x + r.X < shape.X) c += row[x + r.X];
                    if (x - r.X - 1 >= 0) c -= row[x - r.X - 1];
                    line[x] = c > 0 ? (byte)1 : (byte)0;
                }
            }
            var copy = p.ToArray();
            var cols = new int[shape.X];
            for (int y = 0; y <= Math.Min(shape.Y - 1, r.Y - 1); y++)
                for (int x = 0; x < shape.X; x++) cols[x] += copy[y * shape.X + x];
            for (int y = 0; y < shape.Y; y++)
            {
                int enter = y + r.Y, leave = y - r.Y - 1;
                for (int x = 0; x < shape.X; x++)
                {
                    if (enter < shape.Y) cols[x] += copy[enter * shape.X + x];
                    if (leave >= 0) cols[x] -= copy[leave * shape.X + x];
                    p[y * shape.X + x] = cols[x] > 0 ? (byte)1 : (byte)0;
                }
            }
        });
        var counts = new int[plane];
        for (int z = 0; z < Math.Min(shape.Z, r.Z); z++) AddPlane(counts, m, shape, z, +1);
        for (int z = 0; z < valid.End.Z; z++)
        {
            if (z + r.Z < shape.Z) AddPlane(counts, m, shape, z + r.Z, +1);
            if (z - r.Z - 1 >= 0) AddPlane(counts, m, shape, z - r.Z - 1, -1);
            if (z < valid.Start.Z) continue;
            for (int y = valid.Start.Y; y < valid.End.Y; y++)
            for (int x = valid.Start.X; x < valid.End.X; x++)
                if (counts[y * shape.X + x] > 0) output[RowIndex(shape, z, y) + x] = Excluded;
        }
    }

    private static void AddPlane(int[] counts, byte[] m, Vec3i shape, int z, int sign)
    {
        var p = m.AsSpan(RowIndex(shape, z, 0), counts.Length);
        for (int i = 0; i < counts.Length; i++) counts[i] += sign * p[i];
    }

    private static IReadOnlyList<(byte Value, long Count)> CountValues(byte[] output, Vec3i shape, Box3 valid)
    {
        var total = new long[256];
        Parallel.For(valid.Start.Z, valid.End.Z, () => new long[256], (z, _, hist) =>
        {
            for (int y = valid.Start.Y; y < valid.End.Y; y++)
                foreach (var v in output.AsSpan(RowIndex(shape, z, y) + valid.Start.X, valid.Size.X)) hist[v]++;
            return hist;
        }, hist => { lock (total) for (int i = 0; i < 256; i++) total[i] += hist[i]; });
        return Enumerable.Range(0, 256).Where(v => total[v] > 0).Select(v => ((byte)v, total[v])).ToList();
    }
}
