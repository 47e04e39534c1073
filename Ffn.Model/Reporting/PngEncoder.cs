using System.Buffers.Binary;
using System.IO.Compression;

namespace Ffn.Model.Reporting;

/// <summary>
/// Writes 8-bit RGB PNG files (signature, IHDR, one zlib IDAT, IEND; CRC-32 per chunk). Each row gets the filter
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

    public static void Write(RgbImage image, Stream output)
    {
        output.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour RGB
        // compression 0, filter method 0, no interlace
        WriteChunk(output, "IHDR", ihdr);
        WriteChunk(output, "IDAT", Compress(image));
        WriteChunk(output, "IEND", []);
    }

    private static byte[] Compress(RgbImage image)
    {
        int stride = image.Width * 3;
        var prev = new byte[stride];
        var cur = new byte[stride];
        var candidate = new byte[5][];
        for (int f = 0; f < 5; f++) candidate[f] = new byte[stride];
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < image.Height; y++)
            {
                image.Pixels.AsSpan(y * stride, stride).CopyTo(cur);
                int best = 0;
                long bestScore = long.MaxValue;
                for (int f = 0; f < 5; f++)
                {
                    long score = Filter(f, cur, prev, candidate[f]);
                    if (score < bestScore) { bestScore = score; best = f; }
                }
                z.WriteByte((byte)best);
                z.Write(candidate[best]);
                (prev, cur) = (cur, prev);
            }
        }
        return ms.ToArray();
    }

    /// <summary>Filters one row with filter type <paramref name="f"/> (bpp 3); returns the sum of |residual| as signed bytes.</summary>
    private static long Filter(int f, byte[] cur, byte[] prev, byte[] outRow)
    {
        long score = 0;
        for (int i = 0; i < cur.Length; i++)
        {
            int a = i >= 3 ? cur[i - 3] : 0, b = prev[i], c = i >= 3 ? prev[i - 3] : 0;
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
