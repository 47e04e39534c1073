namespace Ffn.Model.Volumes.Zarr;

/// <summary>The back-reference copy shared by the LZ77-family decoders (BloscLZ, LZ4).</summary>
internal static class LzMatch
{
    /// <summary>
    /// Appends <paramref name="length"/> bytes at <paramref name="op"/> copied from <paramref name="distance"/> bytes
    /// back. The caller has checked 0 &lt; distance &lt;= op and op + length &lt;= dst.Length. A match may overlap
    /// its own output (distance &lt; length repeats a pattern), so it is copied in non-overlapping pieces whose size
    /// doubles: the bytes written so far repeat with period distance, so any multiple of it is a valid source.
    /// </summary>
    public static void Copy(Span<byte> dst, int op, int distance, int length)
    {
        if (distance == 1)
        {
            dst.Slice(op, length).Fill(dst[op - 1]);
            return;
        }
        int from = op - distance;
        while (length > 0)
        {
            int n = Math.Min(op - from, length);
            dst.Slice(from, n).CopyTo(dst.Slice(op, n));
            op += n;
            length -= n;
        }
    }
}
