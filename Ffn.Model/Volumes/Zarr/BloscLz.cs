namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// Decoder for BloscLZ, c-blosc's own FastLZ-derived codec (format version 1). Instructions start with a control
/// byte (the first one's top 3 bits are a level marker, ignored): below 32 it is a literal run of ctrl + 1 bytes;
/// otherwise its top 3 bits are the match length - 2 (7: more in 255-continued bytes), its low 5 bits the high
/// byte of the distance - 1, and the next byte the low byte. A distance byte of 255 with high bits 31 means a far
/// match: a big-endian 16-bit distance follows, counted from 8192.
/// The checks follow c-blosc's decoder, which accepts no other streams: a match is always followed by another
/// instruction (it stops before copying a trailing one, so such a stream never decodes to the full block).
/// </summary>
internal static class BloscLz
{
    private const int MaxNearDistance = 8191;

    /// <summary>Decodes <paramref name="src"/> into exactly all of <paramref name="dst"/>; returns null, or what is wrong.</summary>
    public static string? Decode(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (src.Length == 0) return "stream is empty";
        int ip = 0, op = 0;
        int ctrl = src[ip++] & 31;
        while (true)
        {
            if (ctrl < 32)
            {
                int literals = ctrl + 1;
                if (literals > dst.Length - op) return "literals overflow the block";
                if (literals > src.Length - ip) return "literals run past the end of the stream";
                src.Slice(ip, literals).CopyTo(dst[op..]);
                ip += literals;
                op += literals;
                if (ip >= src.Length) break;
                ctrl = src[ip++];
                continue;
            }

            int length = (ctrl >> 5) - 1;
            int high = (ctrl & 31) << 8;
            if (length == 6)
            {
                byte more;
                do
                {
                    if (ip + 1 >= src.Length) return "stream ends inside a match length";
                    more = src[ip++];
                    length += more;
                    if (length > dst.Length) return "match overflows the block";
                } while (more == 255);
            }
            else if (ip + 1 >= src.Length) return "stream ends inside a match";
            int low = src[ip++];
            length += 3;
            int distance = high + low + 1;
            if (low == 255 && high == 31 << 8)
            {
                if (ip + 1 >= src.Length) return "stream ends inside a far match distance";
                distance = ((src[ip] << 8) | src[ip + 1]) + MaxNearDistance + 1;
                ip += 2;
            }
            if (length > dst.Length - op) return "match overflows the block";
            if (distance > op) return $"match distance {distance} reaches before the start of the block";
            if (ip >= src.Length) return "stream ends with a match";
            ctrl = src[ip++];
            LzMatch.Copy(dst, op, distance, length);
            op += length;
        }
        return op == dst.Length ? null : $"decodes to {op} bytes, expected {dst.Length}";
    }
}
