using System.Buffers.Binary;
using System.IO.Compression;

namespace Ffn.Model.Reporting;

/// <summary>
/// Writes 8-bit RGB or grayscale PNG files (signature, IHDR, one zlib IDAT, IEND; CRC-32 per chunk). Each row gets the filter
/// (None, Sub, Up, Average or Paeth) with the smallest sum of absolute residuals, libpng's heuristic, which keeps
/// EM slices small.
/// </summary>
public static class PngEncoder
{
    public static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(RgbImage image)
    {
        using var ms = new MemoryStream();
        Write(image, ms);
        return ms.ToArray();
    }

    public static void Write(RgbImage image, Stream output) => Write(output, image.Width, image.Height, image.Pixels, channels: 3);

    /// <summary>An 8-bit grayscale PNG of <paramref name="pixels"/> (row-major, height x width).</summary>
    public static byte[] EncodeGray(ReadOnlySpan<byte> pixels, int height, int width)
    {
        if (pixels.Length != height * width) throw new ArgumentException("pixel count does not match height x width");
        using var ms = new MemoryStream();
        Write(ms, width, height, pixels, channels: 1);
        return ms.ToArray();
    }

    private static void Write(Stream output, int width, int height, ReadOnlySpan<byte> pixels, int channels)
    {
        output.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = (byte)(channels == 3 ? 2 : 0);  // colour type: truecolour RGB or grayscale
        // compression 0, filter method 0, no interlace
        WriteChunk(output, "IHDR", ihdr);
        WriteChunk(output, "IDAT", Compress(pixels, width * channels, height, channels));
        WriteChunk(output, "IEND", []);
    }

    private static byte[] Compress(ReadOnlySpan<byte> pixels, int stride, int height, int bpp)
    {
        var prev = new byte[stride];
        var cur = new byte[stride];
        var candidate = new byte[5][];
        for (int f = 0; f < 5; f++) candidate[f] = new byte[stride];
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                pixels.Slice(y * stride, stride).CopyTo(cur);
                int best = 0;
                long bestScore = long.MaxValue;
                for (int f = 0; f < 5; f++)
                {
                    long score = Filter(f, bpp, cur, prev, candidate[f]);
                    if (score < bestScore) { bestScore = score; best = f; }
                }
                z.WriteByte((byte)best);
                z.Write(candidate[best]);
                (prev, cur) = (cur, prev);
            }
        }
        return ms.ToArray();
    }

    /// <summary>Filters one row with filter type <paramref name="f"/>; returns the sum of |residual| as signed bytes.</summary>
    private static long Filter(int f, int bpp, byte[] cur, byte[] prev, byte[] outRow)
    {
        long score = 0;
        for (int i = 0; i < cur.Length; i++)
        {
            int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            int predictor = f switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => Paeth(a, b, c),
            };
            byte r = (byte)(cur[i] - predictor);
            outRow[i] = r;
            int v = (sbyte)r;
            score += v < 0 ? -v : v; // Math.Abs would throw on -128
        }
        return score;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        uint crc = Crc32.Append(Crc32.Compute(head[4..]), data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }
}
