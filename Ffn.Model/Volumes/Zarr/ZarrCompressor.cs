using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// A Zarr v2 array's chunk compressor (numcodecs' <c>id</c> and settings): none, zstd, gzip, zlib, or blosc
/// (decode only). zstd is what ffn writes by default.
/// </summary>
public sealed record ZarrCompressor(string Id, int Level = 0)
{
    public static readonly ZarrCompressor None = new("none");
    public static readonly ZarrCompressor Zstd = new("zstd", 1);

    /// <summary>Parses <c>"none"</c>, <c>"zstd"</c>, <c>"zstd:5"</c>, <c>"gzip"</c>, <c>"zlib:6"</c> (as the --zarr-compressor flag takes them).</summary>
    public static ZarrCompressor Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':', 2);
        int? level = parts.Length == 2 && int.TryParse(parts[1], out var l) ? l : null;
        if (parts.Length == 2 && level is null) throw new InputException($"zarr compressor {text}: the level after ':' must be a whole number");
        return parts[0] switch
        {
            "none" or "raw" => None,
            "zstd" => new ZarrCompressor("zstd", level ?? 1),
            "gzip" => new ZarrCompressor("gzip", level ?? 5),
            "zlib" => new ZarrCompressor("zlib", level ?? 5),
            _ => throw new InputException($"zarr compressor {text}: ffn writes none, zstd, gzip or zlib"),
        };
    }

    public static ZarrCompressor FromJson(JsonNode? node, string source)
    {
        if (node is null) return None;
        var id = (string?)node["id"] ?? throw new InputException($"{source}: compressor without an id");
        return id switch
        {
            "zstd" or "gzip" or "zlib" => new ZarrCompressor(id, (int?)node["level"] ?? 0),
            "blosc" => new ZarrCompressor("blosc"),
            _ => throw new InputException($"{source}: compressor '{id}' is not supported (ffn reads zstd, gzip, zlib, blosc or none)"),
        };
    }

    public JsonNode? ToJson() => Id == "none" ? null : new JsonObject { ["id"] = Id, ["level"] = Level };

    /// <param name="expectedBytes">The chunk's size decoded: a header claiming more is refused before anything is allocated.</param>
    public byte[] Decode(byte[] data, string chunk, int expectedBytes) => Id switch
    {
        "none" => data,
        "zstd" => DecodeZstd(data, chunk),
        "gzip" => Inflate(new GZipStream(new MemoryStream(data), CompressionMode.Decompress), chunk),
        "zlib" => Inflate(new ZLibStream(new MemoryStream(data), CompressionMode.Decompress), chunk),
        "blosc" => Blosc.Decompress(data, chunk, expectedBytes),
        _ => throw new InvalidOperationException(Id),
    };

    public byte[] Encode(ReadOnlySpan<byte> data)
    {
        switch (Id)
        {
            case "none":
                return data.ToArray();
            case "zstd":
                using (var c = new ZstdSharp.Compressor(Level)) return c.Wrap(data).ToArray();
            case "gzip" or "zlib":
            {
                var ms = new MemoryStream();
                var level = Level <= 0 ? CompressionLevel.NoCompression : Level <= 5 ? CompressionLevel.Fastest : CompressionLevel.SmallestSize;
                using (Stream z = Id == "gzip" ? new GZipStream(ms, level, leaveOpen: true) : new ZLibStream(ms, level, leaveOpen: true)) z.Write(data);
                return ms.ToArray();
            }
            default:
                throw new InputException($"zarr compressor {Id}: ffn reads it but does not write it");
        }
    }

    private static byte[] DecodeZstd(byte[] data, string chunk)
    {
        try
        {
            using var d = new ZstdSharp.Decompressor();
            return d.Unwrap(data).ToArray();
        }
        catch (ZstdSharp.ZstdException e)
        {
            throw new InputException($"{chunk}: corrupt zstd chunk ({e.Message})");
        }
    }

    private static byte[] Inflate(Stream z, string chunk)
    {
        try
        {
            using (z)
            {
                var ms = new MemoryStream();
                z.CopyTo(ms);
                return ms.ToArray();
            }
        }
        catch (InvalidDataException e)
        {
            throw new InputException($"{chunk}: corrupt compressed chunk ({e.Message})");
        }
    }
}
