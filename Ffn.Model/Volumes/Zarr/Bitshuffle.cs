namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// Undoes the bit shuffle c-blosc applies per block (bitshuffle's bit transposition). The shuffled block holds one
/// bit plane per (byte j of the element, bit b of that byte), in that order, each plane packing that bit of every
/// element, element i at bit i % 8 of byte i / 8.
/// </summary>
internal static class Bitshuffle
{
    /// <summary>
    /// <paramref name="dst"/> gets the unshuffled <paramref name="src"/> (same length). As in c-blosc, a block whose
    /// element count is not a multiple of 8 was not shuffled at all, and bytes after the last whole element are
    /// stored as they are.
    /// </summary>
    public static void Unshuffle(ReadOnlySpan<byte> src, Span<byte> dst, int typeSize)
    {
        int elements = src.Length / typeSize;
        if (elements % 8 != 0)
        {
            src.CopyTo(dst);
            return;
        }
        int planeBytes = elements / 8;
        for (int j = 0; j < typeSize; j++)
        {
            var planes = src.Slice(j * 8 * planeBytes, 8 * planeBytes);
            for (int g = 0; g < planeBytes; g++)
            {
                // Byte b of x: bit b of byte j of elements 8g..8g+7; transposed, byte k holds element 8g+k's byte j.
                ulong x = 0;
                for (int b = 0; b < 8; b++) x |= (ulong)planes[b * planeBytes + g] << (8 * b);
                x = Transpose8x8(x);
                int o = 8 * g * typeSize + j;
                for (int k = 0; k < 8; k++, x >>= 8) dst[o + k * typeSize] = (byte)x;
            }
        }
        int shuffled = elements * typeSize;
        src[shuffled..].CopyTo(dst[shuffled..]);
    }

    /// <summary>Transposes the 8x8 bit matrix whose row r is byte r (bit c of row r moves to bit r of row c).</summary>
    private static ulong Transpose8x8(ulong x)
    {
        // Swap the off-diagonal halves of 2x2, then 4x4, then 8x8 sub-blocks.
        ulong t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAUL;
        x ^= t ^ (t << 7);
        t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCUL;
        x ^= t ^ (t << 14);
        t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0UL;
        x ^= t ^ (t << 28);
        return x;
    }
}
