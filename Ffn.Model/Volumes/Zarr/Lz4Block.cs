namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// Decoder for the LZ4 block format (what c-blosc stores for lz4 and lz4hc alike): a run of sequences, each a token
/// (high nibble: literal count, low nibble: match length - 4, 15 meaning "more in 255-continued bytes"), the
/// literals, then a 2-byte little-endian match distance; the last sequence stops after its literals.
/// </summary>
internal static class Lz4Block
{
    private const int MinMatch = 4;

    /// <summary>Decodes <paramref name="src"/> into exactly all of <paramref name="dst"/>; returns null, or what is wrong.</summary>
    public static string? Decode(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int ip = 0, op = 0;
        while (true)
        {
            if (ip >= src.Length) return "stream ends where a sequence should start";
            int token = src[ip++];

            int literals = token >> 4;
            if (literals == 15 && !ReadLength(src, ref ip, ref literals, dst.Length)) return "literal length runs past the stream or the block";
            if (literals > src.Length - ip) return "literals run past the end of the stream";
            if (literals > dst.Length - op) return "literals overflow the block";
            src.Slice(ip, literals).CopyTo(dst[op..]);
            ip += literals;
            op += literals;

            // Only the last sequence ends after its literals, exactly at the end of the stream.
            if (ip == src.Length) break;

            if (src.Length - ip < 2) return "stream ends inside a match distance";
            int distance = src[ip] | (src[ip + 1] << 8);
            ip += 2;
            if (distance == 0 || distance > op) return $"match distance {distance} reaches before the start of the block";

            int length = token & 15;
            if (length == 15 && !ReadLength(src, ref ip, ref length, dst.Length)) return "match length runs past the stream or the block";
            length += MinMatch;
            if (length > dst.Length - op) return "match overflows the block";
            LzMatch.Copy(dst, op, distance, length);
            op += length;
        }
        return op == dst.Length ? null : $"decodes to {op} bytes, expected {dst.Length}";
    }

    /// <summary>Adds 255-continued length bytes; false if they run out or exceed <paramref name="limit"/> (also bounds the sum).</summary>
    private static bool ReadLength(ReadOnlySpan<byte> src, ref int ip, ref int length, int limit)
    {
        byte b;
        do
        {
            if (ip >= src.Length) return false;
            b = src[ip++];
            length += b;
            if (length > limit) return false;
        } while (b == 255);
        return true;
    }
}
