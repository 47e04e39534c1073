using System.Security.Cryptography;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
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
}
