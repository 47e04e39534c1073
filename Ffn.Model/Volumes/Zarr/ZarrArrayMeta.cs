using System.Text.Json;
using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// A Zarr v2 array's .zarray: shape and chunks (z, y, x), dtype, compressor, fill value, chunk key separator.
/// ffn reads 3D C-order arrays of uint8/16/32/64, int32/64 and float32/64, little- or big-endian.
/// </summary>
public sealed record ZarrArrayMeta(Vec3i Shape, Vec3i Chunks, DType DType, bool BigEndian, ZarrCompressor Compressor, double FillValue, string Separator)
{
    public const string FileName = ".zarray";

    public Vec3i Grid => new(Ceil(Shape.Z, Chunks.Z), Ceil(Shape.Y, Chunks.Y), Ceil(Shape.X, Chunks.X));

    /// <summary>The key of chunk (i, j, k) under the array's folder.</summary>
    public string ChunkKey(Vec3i index) => $"{index.Z}{Separator}{index.Y}{Separator}{index.X}";

    public static ZarrArrayMeta Read(string arrayDir)
    {
        var path = Path.Combine(arrayDir, FileName);
        JsonNode? j;
        try
        {
            j = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not valid JSON ({e.Message})");
        }
        if (j is not JsonObject o) throw new InputException($"{path}: not a JSON object");
        try
        {
            if ((int?)o["zarr_format"] != 2) throw new InputException($"{path}: zarr_format {o["zarr_format"]?.ToJsonString() ?? "missing"}; ffn reads Zarr v2");
            var shape = Vec(o["shape"], path, "shape");
            var chunks = Vec(o["chunks"], path, "chunks");
            if (!chunks.AllPositive) throw new InputException($"{path}: chunks {chunks} must be positive");
            if ((string?)o["order"] is { } order && order != "C") throw new InputException($"{path}: order {order}; ffn reads C-order arrays only");
            if (o["filters"] is JsonArray { Count: > 0 }) throw new InputException($"{path}: filters are not supported");
            var (dtype, big) = ParseDType((string?)o["dtype"], path);
            var fill = o["fill_value"] is JsonValue v && v.TryGetValue<double>(out var f) ? f : 0;
            var sep = (string?)o["dimension_separator"] ?? ".";
            if (sep is not ("." or "/")) throw new InputException($"{path}: dimension_separator '{sep}'");
            return new ZarrArrayMeta(shape, chunks, dtype, big, ZarrCompressor.FromJson(o["compressor"], path), fill, sep);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InputException($"{path}: not a Zarr array description ({e.Message})");
        }
    }

    public string ToJson() => new JsonObject
    {
        ["zarr_format"] = 2,
        ["shape"] = new JsonArray(Shape.Z, Shape.Y, Shape.X),
        ["chunks"] = new JsonArray(Chunks.Z, Chunks.Y, Chunks.X),
        ["dtype"] = DTypeString(DType),
        ["compressor"] = Compressor.ToJson(),
        ["fill_value"] = DType.IsFloat() ? FillValue : (long)FillValue,
        ["order"] = "C",
        ["filters"] = null,
        ["dimension_separator"] = Separator,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public static string DTypeString(DType t) => t switch
    {
        DType.UInt8 => "|u1",
        DType.UInt16 => "<u2",
        DType.UInt32 => "<u4",
        DType.UInt64 => "<u8",
        DType.Int32 => "<i4",
        DType.Int64 => "<i8",
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        _ => throw new InputException($"dtype {t.Name()} cannot be written to zarr by ffn"),
    };

    private static (DType, bool) ParseDType(string? s, string path)
    {
        if (s is null || s.Length != 3) throw new InputException($"{path}: dtype {s ?? "missing"} is not supported (uint8/16/32/64, int32/64, float32/64)");
        bool big = s[0] == '>';
        if (s[0] is not ('<' or '>' or '|')) throw new InputException($"{path}: dtype {s} is not supported");
        var t = s[1..] switch
        {
            "u1" => DType.UInt8,
            "u2" => DType.UInt16,
            "u4" => DType.UInt32,
            "u8" => DType.UInt64,
            "i4" => DType.Int32,
            "i8" => DType.Int64,
            "f4" => DType.Float32,
            "f8" => DType.Float64,
            _ => throw new InputException($"{path}: dtype {s} is not supported (uint8/16/32/64, int32/64, float32/64)"),
        };
        return (t, big && t.Size() > 1);
    }

    private static Vec3i Vec(JsonNode? n, string path, string what) =>
        n is JsonArray { Count: 3 } a ? new Vec3i((int)a[0]!, (int)a[1]!, (int)a[2]!)
            : throw new InputException($"{path}: {what} must have 3 dimensions (z, y, x), got {n?.ToJsonString() ?? "none"}");

    private static int Ceil(int a, int b) => (int)(((long)a + b - 1) / b);
}
