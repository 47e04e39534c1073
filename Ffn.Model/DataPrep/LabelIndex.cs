using System.Numerics;
using System.Runtime.InteropServices;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.DataPrep;

/// <summary>
/// A label volume recoded to dense object indices in one streaming pass: <see cref="Ids"/> holds, per voxel, 0 for
/// label 0 and k (1-based) for the k-th distinct label met, and <see cref="Objects"/> holds each object's label,
/// voxel count and bounding box. Four bytes per voxel whatever the label dtype, so uint64 labels cost no more.
/// </summary>
internal sealed class LabelIndex
{
    /// <summary>Per-object facts gathered run by run (one update per run of equal labels, not per voxel).</summary>
    internal struct ObjectInfo
    {
        public long Label;
        public long Count;
        public int Z0, Z1, Y0, Y1, X0, X1;   // bounding box, end exclusive

        public readonly Box3 Box => Box3.FromStartEnd(new Vec3i(Z0, Y0, X0), new Vec3i(Z1, Y1, X1));
    }

    private LabelIndex(int[] ids, Vec3i shape, ObjectInfo[] objects)
    {
        Ids = ids;
        Shape = shape;
        Objects = objects;
    }

    public int[] Ids { get; }
    public Vec3i Shape { get; }

    /// <summary>Objects[k - 1] describes id k.</summary>
    public ObjectInfo[] Objects { get; }

    /// <exception cref="InputException">float labels, or a volume too large for one array.</exception>
    public static LabelIndex Build(IVolumeReader reader, IProgress<string>? progress, CancellationToken ct)
    {
        var info = reader.Info;
        LabelDType.Require(reader);
        var shape = info.Shape;
        if (shape.Product > Array.MaxLength)
            throw new InputException($"{reader.Source}: {shape.Product} voxels exceed what one pass can hold in memory ({Array.MaxLength}); crop the volume");
        var builder = new Builder(shape, new int[shape.Product]);
        // Slabs of whole chunk bands so each compressed chunk is decoded once, ~16 Mvoxels at a time.
        int chunkZ = Math.Max(1, info.Chunks?.Z ?? 1);
        long plane = Math.Max(1L, (long)shape.Y * shape.X);
        int slabZ = (int)Math.Clamp((16L << 20) / plane / chunkZ, 1, Math.Max(1, shape.Z)) * chunkZ;
        var meter = new ProgressMeter("partition: indexing labels", "slices", shape.Z, progress);
        for (int z = 0; z < shape.Z; z += slabZ)
        {
            ct.ThrowIfCancellationRequested();
            var box = new Box3(new Vec3i(z, 0, 0), new Vec3i(Math.Min(slabZ, shape.Z - z), shape.Y, shape.X));
            switch (reader.Read(box))
            {
                case Volume<byte> v: builder.Scan(v.Data, z); break;
                case Volume<ushort> v: builder.Scan(v.Data, z); break;
                case Volume<uint> v: builder.Scan(v.Data, z); break;
                case Volume<ulong> v: builder.Scan(v.Data, z); break;
                case Volume<int> v: builder.Scan(v.Data, z); break;
                case Volume<long> v: builder.Scan(v.Data, z); break;
                case var v: builder.Scan(v.ConvertTo<byte>().Data, z); break;   // bool
            }
            meter.Add(box.Size.Z);
        }
        return new LabelIndex(builder.Ids, shape, builder.Objects.ToArray());
    }

    private sealed class Builder(Vec3i shape, int[] ids)
    {
        private readonly Dictionary<long, int> _idOf = new();
        private long _lastLabel;
        private int _lastId;

        public int[] Ids { get; } = ids;
        public List<ObjectInfo> Objects { get; } = new();

        public void Scan<T>(T[] data, int z0) where T : unmanaged, IBinaryInteger<T>
        {
            int nz = data.Length / Math.Max(1, shape.Y * shape.X), sx = shape.X;
            var objects = CollectionsMarshal.AsSpan(Objects);
            for (int dz = 0; dz < nz; dz++)
            for (int y = 0; y < shape.Y; y++)
            {
                var row = data.AsSpan((dz * shape.Y + y) * sx, sx);
                long rowStart = ((long)(z0 + dz) * shape.Y + y) * sx;
                for (int x = 0; x < sx;)
                {
                    T label = row[x];
                    int rest = row[(x + 1)..].IndexOfAnyExcept(label);
                    int end = rest < 0 ? sx : x + 1 + rest;
                    if (!T.IsZero(label))
                    {
                        // Reinterpreting as long is bijective (uint64 ids above 2^63 stay distinct).
                        int id = IdOf(long.CreateTruncating(label), ref objects);
                        Ids.AsSpan((int)(rowStart + x), end - x).Fill(id);
                        ref var o = ref objects[id - 1];
                        o.Count += end - x;
                        int z = z0 + dz;
                        if (z < o.Z0) o.Z0 = z;
                        if (z >= o.Z1) o.Z1 = z + 1;
                        if (y < o.Y0) o.Y0 = y;
                        if (y >= o.Y1) o.Y1 = y + 1;
                        if (x < o.X0) o.X0 = x;
                        if (end > o.X1) o.X1 = end;
                    }
                    x = end;
                }
            }
        }

        private int IdOf(long label, ref Span<ObjectInfo> objects)
        {
            if (_lastId != 0 && label == _lastLabel) return _lastId;
            if (!_idOf.TryGetValue(label, out var id))
            {
                Objects.Add(new ObjectInfo
                {
                    Label = label, Z0 = int.MaxValue, Y0 = int.MaxValue, X0 = int.MaxValue,
                });
                id = Objects.Count;
                _idOf.Add(label, id);
                objects = CollectionsMarshal.AsSpan(Objects);   // the list may have grown its array
            }
            _lastLabel = label;
            _lastId = id;
            return id;
        }
    }
}
