using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Meshing;

/// <summary>
/// Every object of a label volume with its voxel count and bounding box, from one pass over the volume in
/// chunk-aligned tiles (each chunk decoded once; memory holds a few tiles and one entry per object), largest object
/// first. Saved as JSON so a run's index is built once.
/// </summary>
public sealed class ObjectIndex
{
    public readonly record struct Entry(ulong Id, long Voxels, Box3 Box);

    private readonly Dictionary<ulong, Entry> _byId;

    public ObjectIndex(Vec3i shape, IEnumerable<Entry> objects)
    {
        Shape = shape;
        Objects = [.. objects.OrderByDescending(o => o.Voxels).ThenBy(o => o.Id)];
        _byId = Objects.ToDictionary(o => o.Id);
    }

    public Vec3i Shape { get; }

    /// <summary>Largest first (ties by id).</summary>
    public IReadOnlyList<Entry> Objects { get; }

    public bool TryGet(ulong id, out Entry entry) => _byId.TryGetValue(id, out entry);

    public bool Contains(ulong id) => _byId.ContainsKey(id);

    /// <summary>
    /// Scans <paramref name="labels"/> (which must allow concurrent reads when <paramref name="parallelism"/> is above
    /// 1) in tiles of whole chunks, about 4 Mvoxels each.
    /// </summary>
    public static ObjectIndex Build(IVolumeReader labels, int parallelism, IProgress<string>? progress, CancellationToken ct)
    {
        LabelDType.Require(labels);
        var info = labels.Info;
        var tiles = info.Box.Tiles(TileShape(info.Shape, info.Chunks ?? new Vec3i(1, Math.Min(64, info.Shape.Y), info.Shape.X))).ToArray();
        var meter = new ProgressMeter("mesh: indexing objects", "tiles", tiles.Length, progress);
        var total = new Dictionary<ulong, Acc>();
        Parallel.ForEach(tiles, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct },
            () => new Dictionary<ulong, Acc>(),
            (tile, _, local) =>
            {
                Scan(labels.Read(tile), local);
                meter.Add(1);
                return local;
            },
            local =>
            {
                lock (total)
                    foreach (var (id, a) in local)
                    {
                        ref var t = ref CollectionsMarshal.GetValueRefOrAddDefault(total, id, out bool known);
                        t = known ? t.Merge(a) : a;
                    }
            });
        return new ObjectIndex(info.Shape, total.Select(kv => new Entry(kv.Key, kv.Value.Count,
            Box3.FromStartEnd(new Vec3i(kv.Value.Z0, kv.Value.Y0, kv.Value.X0), new Vec3i(kv.Value.Z1, kv.Value.Y1, kv.Value.X1)))));
    }

    /// <summary>Whole chunks, doubled along x, then y, then z while under 4 Mvoxels and inside the volume.</summary>
    private static Vec3i TileShape(Vec3i shape, Vec3i chunks)
    {
        var t = chunks;
        for (bool grew = true; grew;)
        {
            grew = false;
            for (int axis = 2; axis >= 0; axis--)
            {
                var bigger = axis switch { 0 => t with { Z = t.Z * 2 }, 1 => t with { Y = t.Y * 2 }, _ => t with { X = t.X * 2 } };
                if (bigger.Product <= 4L << 20 && t[axis] < shape[axis])
                {
                    t = bigger;
                    grew = true;
                }
            }
        }
        return t;
    }

    /// <summary>Count and bounding box (end exclusive) gathered over runs of equal labels along x.</summary>
    private struct Acc
    {
        public long Count;
        public int Z0, Y0, X0, Z1, Y1, X1;

        public readonly Acc Merge(Acc o) => new()
        {
            Count = Count + o.Count, Z0 = Math.Min(Z0, o.Z0), Y0 = Math.Min(Y0, o.Y0), X0 = Math.Min(X0, o.X0),
            Z1 = Math.Max(Z1, o.Z1), Y1 = Math.Max(Y1, o.Y1), X1 = Math.Max(X1, o.X1),
        };
    }

    private static void Scan(Volume v, Dictionary<ulong, Acc> into)
    {
        switch (v)
        {
            case Volume<byte> b: Scan(b, into); break;
            case Volume<ushort> b: Scan(b, into); break;
            case Volume<uint> b: Scan(b, into); break;
            case Volume<ulong> b: Scan(b, into); break;
            case Volume<int> b: Scan(b, into); break;
            case Volume<long> b: Scan(b, into); break;
            default: Scan(v.ConvertTo<byte>(), into); break; // bool
        }
    }

    private static void Scan<T>(Volume<T> v, Dictionary<ulong, Acc> into) where T : unmanaged, IBinaryInteger<T>
    {
        var o = v.Offset;
        for (int z = 0; z < v.Shape.Z; z++)
        for (int y = 0; y < v.Shape.Y; y++)
        {
            var row = v.Row(z, y);
            for (int x = 0; x < row.Length;)
            {
                T label = row[x];
                int rest = row[(x + 1)..].IndexOfAnyExcept(label);
                int end = rest < 0 ? row.Length : x + 1 + rest;
                if (!T.IsZero(label))
                {
                    ref var a = ref CollectionsMarshal.GetValueRefOrAddDefault(into, ulong.CreateTruncating(label), out bool known);
                    int gz = o.Z + z, gy = o.Y + y, gx0 = o.X + x, gx1 = o.X + end;
                    if (!known) a = new Acc { Z0 = gz, Y0 = gy, X0 = gx0, Z1 = gz + 1, Y1 = gy + 1, X1 = gx1 };
                    a.Count += end - x;
                    a.Z0 = Math.Min(a.Z0, gz); a.Z1 = Math.Max(a.Z1, gz + 1);
                    a.Y0 = Math.Min(a.Y0, gy); a.Y1 = Math.Max(a.Y1, gy + 1);
                    a.X0 = Math.Min(a.X0, gx0); a.X1 = Math.Max(a.X1, gx1);
                }
                x = end;
            }
        }
    }

    /// <summary>
    /// {"shape_zyx": [...], "objects": [{"id", "voxels", "start_zyx", "end_zyx"}, ...]}, largest first; end exclusive.
    /// </summary>
    public void Write(Stream s, IReadOnlyDictionary<string, object>? extra = null)
    {
        using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = false });
        w.WriteStartObject();
        foreach (var (k, v) in extra ?? new Dictionary<string, object>())
        {
            w.WritePropertyName(k);
            JsonSerializer.Serialize(w, v);
        }
        WriteVec(w, "shape_zyx", Shape);
        w.WriteStartArray("objects");
        foreach (var o in Objects)
        {
            w.WriteStartObject();
            w.WriteNumber("id", o.Id);
            w.WriteNumber("voxels", o.Voxels);
            WriteVec(w, "start_zyx", o.Box.Start);
            WriteVec(w, "end_zyx", o.Box.End);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteVec(Utf8JsonWriter w, string name, Vec3i v)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(v.Z);
        w.WriteNumberValue(v.Y);
        w.WriteNumberValue(v.X);
        w.WriteEndArray();
    }

    /// <exception cref="InputException">not an index this class wrote.</exception>
    public static ObjectIndex Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            var objects = new List<Entry>();
            foreach (var o in root.GetProperty("objects").EnumerateArray())
                objects.Add(new Entry(o.GetProperty("id").GetUInt64(), o.GetProperty("voxels").GetInt64(),
                    Box3.FromStartEnd(Vec(o.GetProperty("start_zyx")), Vec(o.GetProperty("end_zyx")))));
            return new ObjectIndex(Vec(root.GetProperty("shape_zyx")), objects);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{path}: not an object index ({e.Message})");
        }

        static Vec3i Vec(JsonElement a) => new(a[0].GetInt32(), a[1].GetInt32(), a[2].GetInt32());
    }
}
