using Ffn.Model.Reporting;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Reporting;

public class PngEncoderTests
{
    /// <summary>Smooth gradients, flat areas and noise, so that every row filter gets chosen somewhere.</summary>
    private static RgbImage Picture(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new RgbImage(w, h);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            img[x, y] = (y % 4) switch
            {
                0 => new Rgb((byte)(x * 3), (byte)(y * 5), (byte)(x + y)),
                1 => new Rgb((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)),
                2 => new Rgb(40, 200, 90),
                _ => new Rgb((byte)(255 - x), (byte)(x ^ y), (byte)(y * 7)),
            };
        return img;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 23)]
    [InlineData(200, 61)]
    public void Python_decoder_written_from_the_PNG_specification_and_PIL_read_back_the_pixels(int w, int h)
    {
        using var tmp = new TempDir();
        var img = Picture(w, h, w * 31 + h);
        var png = tmp.File("a.png");
        File.WriteAllBytes(png, PngEncoder.Encode(img));
        var raw = tmp.File("a.rgb");
        File.WriteAllBytes(raw, img.Pixels);
        // An independent decoder: chunk CRCs by zlib.crc32, inflate by zlib, the five filters undone by hand.
        var result = PythonOracle.Run("""
import sys, struct, zlib
from PIL import Image
import numpy as np
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, chunks = 8, []
while pos < len(data):
    n, = struct.unpack('>I', data[pos:pos+4]); t = data[pos+4:pos+8]; body = data[pos+8:pos+8+n]
    crc, = struct.unpack('>I', data[pos+8+n:pos+12+n])
    assert zlib.crc32(t + body) & 0xffffffff == crc, t
    chunks.append((t, body)); pos += 12 + n
assert [c[0] for c in chunks][0] == b'IHDR' and chunks[-1][0] == b'IEND'
w, h, depth, ctype, comp, filt, inter = struct.unpack('>IIBBBBB', chunks[0][1])
assert (depth, ctype, comp, filt, inter) == (8, 2, 0, 0, 0)
raw = zlib.decompress(b''.join(b for t, b in chunks if t == b'IDAT'))
stride = w * 3
out = bytearray(); prev = bytearray(stride); used = set()
for y in range(h):
    f = raw[y*(stride+1)]; used.add(f)
    line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
    for i in range(stride):
        a = line[i-3] if i >= 3 else 0; b = prev[i]; c = prev[i-3] if i >= 3 else 0
        if f == 0: p = 0
        elif f == 1: p = a
        elif f == 2: p = b
        elif f == 3: p = (a + b) // 2
        else:
            pp = a + b - c; pa, pb, pc = abs(pp-a), abs(pp-b), abs(pp-c)
            p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        line[i] = (line[i] + p) & 255
    out += line; prev = line
expected = open(sys.argv[2], 'rb').read()
assert bytes(out) == expected, 'pixels differ'
pil = np.asarray(Image.open(sys.argv[1]).convert('RGB'))
assert pil.shape == (h, w, 3) and pil.tobytes() == expected, 'PIL differs'
print(w, h, len(used))
""", png, raw);
        var parts = result.Trim().Split(' ');
        Assert.Equal($"{w} {h}", $"{parts[0]} {parts[1]}");
        if (w * h > 1000) Assert.True(int.Parse(parts[2]) >= 3, $"only {parts[2]} filter types used");
    }

    [Fact]
    public void Crc32_matches_the_published_check_value()
    {
        // The CRC-32/ISO-HDLC check value of "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(Crc32.Compute("hello world"u8), Crc32.Append(Crc32.Compute("hello "u8), "world"u8));
    }
}
