using System.Security.Cryptography;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Volumes;

public class NpyTests
{
    public static TheoryData<string> NumpyDtypes => new() { "u1", "u2", "u4", "u8", "i4", "i8", "f4", "f8", "?" };

    private const string MakeArrays = """
import sys, numpy as np
out, dt = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
shape = (5, 7, 9)
if dt == '?':
    a = rng.random(shape) > 0.5
elif dt.startswith('f'):
    a = (rng.standard_normal(shape) * 1000).astype(dt)
else:
    info = np.iinfo(dt)
    a = rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
np.save(out + '/a.npy', a)
np.save(out + '/big.npy', np.arange(70000 * 3, dtype=np.int64).reshape(70000, 3))
np.save(out + '/scalar.npy', np.float32(3.5))
np.savez(out + '/stored.npz', seg=a, other=np.arange(4, dtype=np.int32))
np.savez_compressed(out + '/deflated.npz', seg=a)
with open(out + '/v2.npy', 'wb') as f:
    np.lib.format.write_array(f, a, version=(2, 0))
""";

    [Theory]
    [MemberData(nameof(NumpyDtypes))]
    public void ReadsWhatNumpyWritesAndWritesTheSameBytes(string dt)
    {
        using var tmp = new TempDir();
        PythonOracle.Run(MakeArrays, tmp.Path, dt);
        var a = NpyFile.Read(tmp.File("a.npy"));
        Assert.Equal([5L, 7, 9], a.Shape);

        // np.save of the same array and our writer must agree byte for byte (header padding included).
        NpyFile.Write(tmp.File("ours.npy"), a);
        Assert.Equal(File.ReadAllBytes(tmp.File("a.npy")), File.ReadAllBytes(tmp.File("ours.npy")));

        var v2 = NpyFile.Read(tmp.File("v2.npy"));
        Assert.True(a.Bytes.SequenceEqual(v2.Bytes));

        foreach (var npz in new[] { "stored.npz", "deflated.npz" })
        {
            var seg = NpzFile.Read(tmp.File(npz), "seg");
            Assert.True(a.Bytes.SequenceEqual(seg.Bytes), npz);
        }
        Assert.Equal(["seg", "other"], NpzFile.Keys(tmp.File("stored.npz")));
        Assert.Equal([0, 1, 2, 3], NpzFile.Read(tmp.File("stored.npz"), "other").Get<int>());
    }

    [Fact]
    public void LargeAndScalarHeadersMatchNumpy()
    {
        using var tmp = new TempDir();
        PythonOracle.Run(MakeArrays, tmp.Path, "u1");
        foreach (var name in new[] { "big.npy", "scalar.npy" })
        {
            var arr = NpyFile.Read(tmp.File(name));
            NpyFile.Write(tmp.File("ours-" + name), arr);
            Assert.Equal(File.ReadAllBytes(tmp.File(name)), File.ReadAllBytes(tmp.File("ours-" + name)));
        }
        Assert.Equal(209999L, NpyFile.Read(tmp.File("big.npy")).Get<long>()[^1]);
        Assert.Equal(3.5f, NpyFile.Read(tmp.File("scalar.npy")).Get<float>()[0]);
    }

    [Fact]
    public void NumpyReadsOurNpzAndNpy()
    {
        using var tmp = new TempDir();
        var rnd = new Random(3);
        var seg = new Volume<uint>(new Vec3i(6, 11, 13));
        for (int i = 0; i < seg.Data.Length; i++) seg.Data[i] = (uint)rnd.Next();
        var prob = new Volume<byte>(new Vec3i(6, 11, 13));
        rnd.NextBytes(prob.Data);
        NpzFile.Write(tmp.File("c.npz"), new Dictionary<string, NdArray>
        {
            ["segmentation"] = NdArray.FromVolume(seg),
            ["prob"] = NdArray.FromVolume(prob),
        });
        NpzFile.Write(tmp.File("s.npz"), new Dictionary<string, NdArray> { ["segmentation"] = NdArray.FromVolume(seg) }, compressed: false);
        NpyFile.Write(tmp.File("p.npy"), prob);
        var py = PythonOracle.Run("""
import sys, hashlib, numpy as np
d = sys.argv[1]
for f in ('c.npz', 's.npz'):
    z = np.load(d + '/' + f)
    s = z['segmentation']
    print(f, s.dtype, s.shape, hashlib.sha256(s.tobytes()).hexdigest())
p = np.load(d + '/p.npy')
print('npy', p.dtype, p.shape, hashlib.sha256(p.tobytes()).hexdigest(), hashlib.sha256(np.load(d + '/c.npz')['prob'].tobytes()).hexdigest())
""", tmp.Path);
        var segHash = Convert.ToHexStringLower(SHA256.HashData(seg.Bytes));
        var probHash = Convert.ToHexStringLower(SHA256.HashData(prob.Bytes));
        Assert.Contains($"c.npz uint32 (6, 11, 13) {segHash}", py);
        Assert.Contains($"s.npz uint32 (6, 11, 13) {segHash}", py);
        Assert.Contains($"npy uint8 (6, 11, 13) {probHash} {probHash}", py);
    }

    [Fact]
    public void VolumeReaderReadsBoxesWithoutTheRest()
    {
        using var tmp = new TempDir();
        var v = new Volume<ushort>(new Vec3i(9, 10, 11));
        for (int i = 0; i < v.Data.Length; i++) v.Data[i] = (ushort)(i * 7);
        NpyFile.Write(tmp.File("v.npy"), v);
        using var r = NpyVolumeReader.Open(tmp.File("v.npy"));
        Assert.Equal(new VolumeInfo(v.Shape, DType.UInt16), r.Info);
        var box = new Box3(new Vec3i(2, 3, 4), new Vec3i(5, 6, 7));
        var part = r.Read(box);
        Assert.True(v.Crop(box).ContentEquals(part));
        Assert.Equal(box.Start, part.Offset);
        Assert.Throws<VolumeException>(() => r.Read(new Box3(new Vec3i(5, 0, 0), new Vec3i(5, 1, 1))));
    }

    [Fact]
    public void BadFilesGiveOneLineErrorsNamingThePath()
    {
        using var tmp = new TempDir();
        var missing = tmp.File("missing.npy");
        Assert.Contains(missing, Assert.Throws<VolumeException>(() => NpyFile.Read(missing)).Message);

        File.WriteAllText(tmp.File("text.npy"), "hello world, not numpy");
        Assert.Contains("not a NumPy .npy file", Assert.Throws<VolumeException>(() => NpyFile.Read(tmp.File("text.npy"))).Message);

        NpyFile.Write(tmp.File("flat.npy"), NdArray.Create(new int[12], 3, 4));
        var rank = Assert.Throws<VolumeException>(() => NpyVolumeReader.Open(tmp.File("flat.npy")));
        Assert.Contains("expected a 3D", rank.Message);
        Assert.Contains("(3, 4)", rank.Message);

        var bytes = File.ReadAllBytes(tmp.File("flat.npy"));
        File.WriteAllBytes(tmp.File("short.npy"), bytes[..^5]);
        Assert.Contains("truncated", Assert.Throws<VolumeException>(() => NpyFile.Read(tmp.File("short.npy"))).Message);

        PythonOracle.Run("import sys, numpy as np; np.save(sys.argv[1], np.zeros((2,2,2), np.complex64)); np.save(sys.argv[2], np.zeros((2,2,2), '>i4'))",
            tmp.File("c.npy"), tmp.File("be.npy"));
        Assert.Contains("unsupported npy dtype", Assert.Throws<VolumeException>(() => NpyFile.Read(tmp.File("c.npy"))).Message);
        Assert.Contains("big-endian", Assert.Throws<VolumeException>(() => NpyFile.Read(tmp.File("be.npy"))).Message);

        File.WriteAllText(tmp.File("bad.npz"), "not a zip");
        Assert.Contains("bad.npz", Assert.Throws<VolumeException>(() => NpzFile.Read(tmp.File("bad.npz"), "x")).Message);
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*"));
    }

    // Writes a .npy whose header says `shape` (any text) with `data` bytes after it; version 2 with a stated length.
    private const string WriteRawNpy = """
import sys, struct, zipfile
path, case = sys.argv[1], sys.argv[2]
def npy(shape, data=b''):
    h = ("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape).encode('latin1')
    h += b' ' * (64 - (10 + len(h) + 1) % 64) + b'\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h + data
raw = {
    'huge-product': npy('(%d, 4, 4)' % 2**62),
    'negative': npy('(-1, 64, 64)'),
    'v2-header-length': b'\x93NUMPY\x02\x00' + struct.pack('<I', 0xFFFFFFF0) + b"{'descr': '<f4'",
    'larger-than-file': npy('(1000000, 2, 1000000000)'),
    'short-data': npy('(2, 3, 4)', bytes(4 * 24 - 1)),
    'not-a-number': npy('(2, x, 4)'),
}
if case == 'v2-header-huge':  # the stated length fits in this (sparse) 5 GiB file, but no header is that long
    with open(path, 'wb') as f:
        f.write(raw['v2-header-length'])
        f.truncate(5 << 30)
elif case == 'npz-member':
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('segmentation.npy', npy('(1000000, 2, 1000000000)', bytes(40)))
else:
    open(path, 'wb').write(raw[case])
""";

    [Theory]
    [InlineData("huge-product", "is too large")]
    [InlineData("negative", "has a negative dimension")]
    [InlineData("v2-header-length", "truncated npy header (it declares 4294967280 bytes")]
    [InlineData("v2-header-huge", "malformed npy header (it declares 4294967280 bytes)")]
    [InlineData("larger-than-file", "needs 8000000000000000 bytes, the file has 0")]
    [InlineData("short-data", "needs 96 bytes, the file has 95")]
    [InlineData("not-a-number", "malformed npy shape (2, x, 4)")]
    public void MalformedHeadersAreOneLineErrorsNamingTheFile(string kind, string expect)
    {
        using var tmp = new TempDir();
        var path = tmp.File(kind + ".npy");
        PythonOracle.Run(WriteRawNpy, path, kind);
        foreach (var read in new Action[] { () => NpyFile.Read(path), () => NpyFile.ReadHeader(path), () => NpyVolumeReader.Open(path).Dispose() })
        {
            var e = Assert.Throws<VolumeException>(read);
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(expect, e.Message);
        }
        var r = Cli.Run("model", "forward", CheckpointIntegrityTests.SamplePkl, "--input", path, "--output", tmp.File("y.npy"));
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.Contains($"{path}: ", r.Err);
        Assert.Contains(expect, r.Err);
        Assert.False(File.Exists(tmp.File("y.npy")));
    }

    [Fact]
    public void NpzMembersAreCheckedAgainstTheirLength()
    {
        using var tmp = new TempDir();
        var path = tmp.File("seg.npz");
        PythonOracle.Run(WriteRawNpy, path, "npz-member");
        var e = Assert.Throws<VolumeException>(() => NpzFile.Read(path, "segmentation"));
        Assert.StartsWith($"{path}:segmentation: truncated npy data (shape (1000000, 2, 1000000000) float32 needs 8000000000000000 bytes, the file has 40", e.Message);
        var r = Cli.Run("extract", path, tmp.File("out.npy"));
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.False(File.Exists(tmp.File("out.npy")));
    }

    [Fact]
    public void ArraysTooLargeForMemoryAreRefusedButStreamed()
    {
        using var tmp = new TempDir();
        var path = tmp.File("big.npy");
        // A sparse 4 GB uint8 volume: more than one .NET array holds, though a volume reader reads boxes of it.
        PythonOracle.Run("""
import sys, numpy as np
a = np.lib.format.open_memmap(sys.argv[1], mode='w+', dtype=np.uint8, shape=(4, 1024, 1024 ** 2))
a[3, 1023, -1] = 7
a.flush()
""", path);
        var e = Assert.Throws<VolumeException>(() => NpyFile.Read(path));
        Assert.StartsWith(path + ": shape (4, 1024, 1048576) uint8 is 4294967296 bytes", e.Message);
        using var r = NpyVolumeReader.Open(path);
        var corner = new Vec3i(3, 1023, 1024 * 1024 - 1);
        Assert.Equal((byte)7, ((Volume<byte>)r.Read(new Box3(corner, new Vec3i(1, 1, 1)))).Data[0]);
    }
}
