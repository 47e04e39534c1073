using System.Buffers.Binary;
using Ffn.Model;
using Ffn.Model.Volumes.Zarr;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Volumes.Zarr;

/// <summary>numcodecs.Blosc frames of every codec, shuffle, a few levels and block sizes, written once per class.</summary>
public sealed class BloscFrames : IDisposable
{
    private const string Make = """
import sys, os, numpy as np
from numcodecs import Blosc
out = sys.argv[1]
rng = np.random.default_rng(17)

def runs(n, dt, mean=40):
    # label-like: runs of one value, background (0) every third run
    lengths = rng.integers(1, 2 * mean, size=n // mean + 2)
    if dt == 'f4':
        labels = rng.choice(rng.standard_normal(50).astype(dt), size=len(lengths))
    else:
        labels = rng.integers(0, min(np.iinfo(dt).max, 5000), size=len(lengths), endpoint=True).astype(dt)
        labels[::3] = 0
    return np.repeat(labels, lengths)[:n].astype(dt)

def noise(n, dt):
    if dt == 'f4':
        return rng.standard_normal(n).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=n, dtype=dt, endpoint=True)

def smooth(n, dt):
    x = np.arange(n)
    if dt == 'f4':
        return (np.round(np.sin(x / 500.0) * 200) / 4).astype(dt)  # a slowly varying, quantised signal
    return (x // 3 % (np.iinfo(dt).max + 1)).astype(dt)

# Element counts that are and are not multiples of 8 and of the block sizes.
arrays = {}
for dt in ['u1', 'u2', 'u4', 'u8', 'f4']:
    arrays[f'{dt}-runs-5003'] = (runs(5003, dt), 'full')
    arrays[f'{dt}-noise-2048'] = (noise(2048, dt), 'full')
    arrays[f'{dt}-smooth-2999'] = (smooth(2999, dt), 'full')
    arrays[f'{dt}-tiny-5'] = (noise(5, dt), 'full')
    arrays[f'{dt}-empty-0'] = (np.zeros(0, dt), 'full')
# Over 3 MB, more than any automatic block, so frames have several default-size blocks and a leftover one.
arrays['u4-runs-3MB'] = (runs(3 * 2**20 // 4 + 13, 'u4', mean=300), 'big')
arrays['f4-smooth-3MB'] = (smooth(3 * 2**20 // 4 + 5, 'f4'), 'big')

cnames = ['blosclz', 'lz4', 'lz4hc', 'zlib', 'zstd']
shuffles = {'noshuffle': Blosc.NOSHUFFLE, 'shuffle': Blosc.SHUFFLE, 'bitshuffle': Blosc.BITSHUFFLE}
# All frames go into one file (thousands of small files cost more than the codecs); the manifest says where.
with open(os.path.join(out, 'manifest.txt'), 'w') as manifest, open(os.path.join(out, 'frames.bin'), 'wb') as frames:
    for name, (a, kind) in arrays.items():
        with open(os.path.join(out, name + '.raw'), 'wb') as f:
            f.write(a.tobytes())
        clevels, blocksizes = ([0, 1, 9], [0, 200, 4096]) if kind == 'full' else ([5], [0])
        for cname in cnames:
            for sname, shuffle in shuffles.items():
                for clevel in clevels:
                    for bs in blocksizes:
                        codec = Blosc(cname=cname, clevel=clevel, shuffle=shuffle, blocksize=bs)
                        frame = codec.encode(a)
                        # numcodecs cannot decode its own empty frames; the rest must round-trip there too.
                        assert a.size == 0 or bytes(codec.decode(frame)) == a.tobytes(), (name, cname, sname, clevel, bs)
                        manifest.write(f'{name}.{cname}.{sname}.c{clevel}.b{bs} {name}.raw {frames.tell()} {len(frame)}\n')
                        frames.write(frame)
""";

    private readonly TempDir _dir = new();

    public BloscFrames()
    {
        PythonOracle.Run(Make, _dir.Path);
        var all = File.ReadAllBytes(_dir.File("frames.bin"));
        var raws = new Dictionary<string, byte[]>();
        foreach (var line in File.ReadAllLines(_dir.File("manifest.txt")))
        {
            var f = line.Split(' ');
            if (!raws.TryGetValue(f[1], out var raw)) raws[f[1]] = raw = File.ReadAllBytes(_dir.File(f[1]));
            Cases.Add(new Case(f[0], all.AsSpan(int.Parse(f[2]), int.Parse(f[3])).ToArray(), raw));
        }
    }

    public sealed record Case(string Name, byte[] Frame, byte[] Raw);

    public List<Case> Cases { get; } = [];

    public Case Get(string name) => Cases.Single(c => c.Name == name);

    public void Dispose() => _dir.Dispose();
}

public class BloscTests(BloscFrames frames) : IClassFixture<BloscFrames>
{
    private const string Source = "seg.zarr/0.0.0";

    [Fact]
    public void DecodesEveryNumcodecsFrameExactly()
    {
        var failures = new List<string>();
        foreach (var c in frames.Cases)
        {
            try
            {
                var got = Blosc.Decompress(c.Frame, Source);
                if (!got.AsSpan().SequenceEqual(c.Raw))
                {
                    int at = got.AsSpan().CommonPrefixLength(c.Raw);
                    failures.Add($"{c.Name}: {got.Length} bytes, expected {c.Raw.Length}, first difference at {at}");
                }
                Assert.Equal(c.Raw.Length, Blosc.Decompress(c.Frame, Source, c.Raw.Length).Length);
            }
            catch (Exception e)
            {
                failures.Add($"{c.Name}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {frames.Cases.Count} frames wrong:\n" + string.Join("\n", failures.Take(40)));

        // 5 dtypes x 5 arrays x 5 codecs x 3 shuffles x 3 levels x 3 block sizes, and 2 large arrays x 15.
        Assert.Equal(5 * 5 * 5 * 3 * 3 * 3 + 2 * 15, frames.Cases.Count);
        // The matrix must reach the paths that differ: raw copies, splits, many and leftover blocks, bit shuffle's
        // untouched blocks, and streams stored raw because they did not compress.
        var h = frames.Cases.Where(c => c.Raw.Length > 0).Select(c => Header.Of(c.Frame)).ToList();
        var compressed = h.Where(x => !x.Memcpyed).ToList();
        Assert.Contains(h, x => x.Memcpyed);
        Assert.Contains(compressed, x => x.Split);
        Assert.Contains(compressed, x => !x.Split);
        Assert.Contains(compressed, x => x.Blocks > 100);
        Assert.Contains(compressed, x => x.NBytes % x.BlockSize != 0);
        Assert.Contains(compressed, x => x.BitShuffle && x.BlockSize / x.TypeSize % 8 != 0);
        Assert.Contains(compressed, x => x.BitShuffle && x.BlockSize / x.TypeSize % 8 == 0 && x.NBytes % x.BlockSize / x.TypeSize % 8 != 0);
        foreach (var codec in new[] { 0, 1, 3, 4 })
            Assert.Contains(compressed, x => x.Codec == codec && x.HasRawStream);
        Assert.Contains(compressed, x => x.NBytes >= 3 << 20 && x.Blocks > 2);
    }

    [Fact]
    public void TruncatedFramesAreInputErrors()
    {
        foreach (var c in Sample())
        {
            for (int n = 0; n < c.Frame.Length; n += n < 64 ? 1 : 13)
            {
                var cut = c.Frame[..n];
                AssertRejected(cut, $"{c.Name} cut to {n}");
                // With the header's size patched to match, the cut must be found in the offsets and streams.
                if (n >= 16)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(cut.AsSpan(12), n);
                    AssertRejected(cut, $"{c.Name} cut to {n}, cbytes patched");
                }
            }
        }
    }

    [Fact]
    public void BadHeaderFieldsAreInputErrors()
    {
        var c = frames.Get("u4-runs-5003.lz4.shuffle.c1.b4096");
        AssertRejected(Patch(c.Frame, f => f[0] = 3), "format version 3", "format version 3");
        AssertRejected(Patch(c.Frame, f => f[1] = 2), "codec format version 2", "lz4 format version 2");
        AssertRejected(Patch(c.Frame, f => f[2] |= 0x08), "reserved flag", "reserved");
        AssertRejected(Patch(c.Frame, f => f[3] = 0), "type size 0", "type size 0");
        AssertRejected(Patch(c.Frame, f => Int(f, 4, -5)), "negative nbytes");
        AssertRejected(Patch(c.Frame, f => Int(f, 8, 0)), "block size 0");
        AssertRejected(Patch(c.Frame, f => Int(f, 8, 1 << 30)), "block size past nbytes");
        AssertRejected(Patch(c.Frame, f => Int(f, 8, 4092)), "block size that is not what the streams decode to");
        AssertRejected(Patch(c.Frame, f => Int(f, 12, f.Length + 1)), "cbytes past the frame", "header says");
        AssertRejected(Patch(c.Frame, f => Int(f, 16, 3)), "block offset inside the header");
        AssertRejected(Patch(c.Frame, f => Int(f, 16, f.Length)), "block offset at the end");
        AssertRejected(c.Frame.Concat(new byte[3]).ToArray(), "trailing bytes", "header says");
    }

    [Fact]
    public void UnsupportedAndUnknownCompressorsAreInputErrors()
    {
        var c = frames.Get("u2-runs-5003.zstd.noshuffle.c1.b0");
        AssertRejected(Patch(c.Frame, f => f[2] = (byte)((f[2] & 0x1f) | 2 << 5)), "snappy", "snappy");
        foreach (var code in new[] { 5, 6, 7 })
            AssertRejected(Patch(c.Frame, f => f[2] = (byte)((f[2] & 0x1f) | code << 5)), $"code {code}", $"unknown compressor code {code}");
    }

    [Fact]
    public void BadStreamLengthsAreInputErrors()
    {
        foreach (var c in Sample())
        {
            var h = Header.Of(c.Frame);
            Assert.False(h.Memcpyed, c.Name);
            int first = BinaryPrimitives.ReadInt32LittleEndian(c.Frame.AsSpan(16));
            int length = BinaryPrimitives.ReadInt32LittleEndian(c.Frame.AsSpan(first));
            foreach (var bad in new[] { -1, int.MinValue, int.MaxValue, c.Frame.Length - first - 3, length + 1, length - 1 })
                AssertRejected(Patch(c.Frame, f => Int(f, first, bad)), $"{c.Name}: first stream length {length} -> {bad}");
        }
        var mem = frames.Get("u4-runs-5003.lz4.shuffle.c0.b0");
        Assert.True(Header.Of(mem.Frame).Memcpyed);
        AssertRejected(Patch(mem.Frame, f => Int(f, 4, mem.Raw.Length - 4)), "memcpyed nbytes not cbytes - 16");
        var e = Assert.ThrowsAny<InputException>(() => Blosc.Decompress(mem.Frame, Source, mem.Raw.Length + 1));
        Assert.StartsWith(Source + ": ", e.Message);
    }

    [Fact]
    public void RandomlyCorruptedFramesDecodeOrFailAsInputErrors()
    {
        // A flipped byte inside a stream may go unnoticed (a different literal), but it must never be another
        // exception, an out-of-bounds access, a hang, or a result of the wrong size.
        var rnd = new Random(5);
        foreach (var c in Sample())
        {
            for (int trial = 0; trial < 400; trial++)
            {
                var f = (byte[])c.Frame.Clone();
                int flips = 1 + rnd.Next(3);
                for (int k = 0; k < flips; k++)
                {
                    int at = trial % 4 == 0 ? rnd.Next(f.Length) : 16 + rnd.Next(f.Length - 16);
                    f[at] ^= (byte)(1 << rnd.Next(8));
                }
                try
                {
                    Assert.Equal(c.Raw.Length, Blosc.Decompress(f, Source).Length);
                }
                catch (InputException e)
                {
                    Assert.StartsWith(Source + ": ", e.Message);
                    Assert.DoesNotContain('\n', e.Message);
                }
            }
        }
    }

    /// <summary>Compressed, split and shuffled frames of several blocks, one per codec (lz4hc shares lz4's format).</summary>
    private IEnumerable<BloscFrames.Case> Sample() =>
        new[] { "blosclz.shuffle", "lz4.bitshuffle", "lz4hc.noshuffle", "zlib.shuffle", "zstd.bitshuffle" }
            .Select(s => frames.Get($"u4-runs-5003.{s}.c1.b4096"));

    private static byte[] Patch(byte[] frame, Action<byte[]> change)
    {
        var f = (byte[])frame.Clone();
        change(f);
        return f;
    }

    private static void Int(byte[] f, int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(f.AsSpan(at), value);

    private static void AssertRejected(byte[] frame, string why, string? says = null)
    {
        var e = Record.Exception(() => Blosc.Decompress(frame, Source));
        Assert.True(e is InputException, $"{why}: {(e == null ? "decoded" : e.GetType().Name + ": " + e.Message)}");
        Assert.StartsWith(Source + ": ", e!.Message);
        Assert.DoesNotContain('\n', e.Message);
        if (says != null) Assert.Contains(says, e.Message);
    }

    private sealed record Header(byte Flags, int TypeSize, int NBytes, int BlockSize, bool HasRawStream)
    {
        public bool Memcpyed => (Flags & 2) != 0;
        public bool BitShuffle => (Flags & 4) != 0;
        public bool Split => (Flags & 0x10) == 0 && TypeSize is > 1 and <= 16 && BlockSize / TypeSize >= 128;
        public int Codec => Flags >> 5;
        public int Blocks => (NBytes + BlockSize - 1) / BlockSize;

        /// <summary>The header, and whether any single-stream block is stored raw (compressed length = block size).</summary>
        public static Header Of(byte[] f)
        {
            var s = f.AsSpan();
            byte flags = f[2];
            int typeSize = f[3], nbytes = BinaryPrimitives.ReadInt32LittleEndian(s[4..]), bs = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
            bool raw = false;
            if ((flags & 2) == 0)
            {
                int blocks = (nbytes + bs - 1) / bs;
                for (int b = 0; b < blocks; b++)
                {
                    int size = Math.Min(bs, nbytes - b * bs);
                    int at = BinaryPrimitives.ReadInt32LittleEndian(s[(16 + 4 * b)..]);
                    bool split = (flags & 0x10) == 0 && typeSize > 1 && typeSize <= 16 && size == bs && bs / typeSize >= 128;
                    raw |= BinaryPrimitives.ReadInt32LittleEndian(s[at..]) == (split ? size / typeSize : size);
                }
            }
            return new Header(flags, typeSize, nbytes, bs, raw);
        }
    }
}
