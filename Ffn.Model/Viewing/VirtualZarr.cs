using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Viewing;

/// <summary>
/// Any volume ffn reads (HDF5, NumPy, TIFF, zarr), shown to a zarr client as a one-level OME-Zarr group: `.zgroup`,
/// `.zattrs` (multiscales, voxel size in nm), `0/.zarray` (uncompressed little-endian chunks, '/' keys) and chunks
/// `0/Z/Y/X` cut from the volume on request. So `ffn view IMG SEG` needs no conversion first. Thread-safe.
/// </summary>
public sealed class VirtualZarr : IDisposable
{
    private readonly IVolumeReader _reader;
    private readonly Vec3i _chunks;
    private readonly Vec3i _voxelNm;
    private readonly Lock _gate = new();

    public VirtualZarr(IVolumeReader reader, Vec3i voxelSizeNm, Vec3i? chunks = null)
    {
        _reader = reader;
        _voxelNm = voxelSizeNm;
        _chunks = Vec3i.Min(chunks ?? new Vec3i(64, 64, 64), reader.Info.Shape);
        if (!ZarrDType.TryGetValue(reader.Info.DType, out _)) throw new InputException($"{reader.Source}: {reader.Info.DType.Name()} cannot be shown");
    }

    public Vec3i Shape => _reader.Info.Shape;
    public DType DType => _reader.Info.DType;

    private static readonly Dictionary<DType, string> ZarrDType = new()
    {
        [DType.UInt8] = "|u1", [DType.UInt16] = "<u2", [DType.UInt32] = "<u4", [DType.UInt64] = "<u8",
        [DType.Int32] = "<i4", [DType.Int64] = "<i8", [DType.Float32] = "<f4", [DType.Float64] = "<f8",
    };

    /// <summary>The bytes for <paramref name="key"/> (a path inside the group), or null for a key that is not there.</summary>
    public byte[]? Get(string key)
    {
        switch (key)
        {
            case ".zgroup": return Json(new JsonObject { ["zarr_format"] = 2 });
            case ".zattrs": return Json(Attributes());
            case "0/.zarray": return Json(ArrayMeta());
        }
        if (!key.StartsWith("0/", StringComparison.Ordinal)) return null;
        var parts = key[2..].Split('/');
        if (parts.Length != 3) return null;
        var index = new int[3];
        for (int a = 0; a < 3; a++)
            if (!int.TryParse(parts[a], NumberStyles.None, CultureInfo.InvariantCulture, out index[a])) return null;
        var start = new Vec3i(index[0] * _chunks.Z, index[1] * _chunks.Y, index[2] * _chunks.X);
        var box = new Box3(start, _chunks).Intersect(_reader.Info.Box);
        if (box.IsEmpty || box.Start != start) return null;
        Volume part;
        lock (_gate) part = _reader.Read(box);
        // Edge chunks are stored whole, as zarr does: the part pasted into a chunk-shaped buffer.
        var chunk = Volume.Create(DType, _chunks, start);
        chunk.PasteBytes(part);
        var bytes = chunk.Bytes.ToArray();
        if (!BitConverter.IsLittleEndian) SwapBytes(bytes, DType.Size());
        return bytes;
    }

    private JsonObject ArrayMeta() => new()
    {
        ["zarr_format"] = 2,
        ["shape"] = new JsonArray(Shape.Z, Shape.Y, Shape.X),
        ["chunks"] = new JsonArray(_chunks.Z, _chunks.Y, _chunks.X),
        ["dtype"] = ZarrDType[DType],
        ["compressor"] = null,
        ["fill_value"] = 0,
        ["order"] = "C",
        ["filters"] = null,
        ["dimension_separator"] = "/",
    };

    private JsonObject Attributes()
    {
        JsonObject Axis(string n) => new() { ["name"] = n, ["type"] = "space", ["unit"] = "nanometer" };
        return new JsonObject
        {
            ["multiscales"] = new JsonArray(new JsonObject
            {
                ["version"] = "0.4",
                ["axes"] = new JsonArray(Axis("z"), Axis("y"), Axis("x")),
                ["datasets"] = new JsonArray(new JsonObject
                {
                    ["path"] = "0",
                    ["coordinateTransformations"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "scale", ["scale"] = new JsonArray(_voxelNm.Z, _voxelNm.Y, _voxelNm.X),
                    }),
                }),
            }),
        };
    }

    private static byte[] Json(JsonObject o) => System.Text.Encoding.UTF8.GetBytes(o.ToJsonString());

    private static void SwapBytes(byte[] data, int size)
    {
        for (int i = 0; i + size <= data.Length; i += size) data.AsSpan(i, size).Reverse();
    }

    public void Dispose() => _reader.Dispose();
}
