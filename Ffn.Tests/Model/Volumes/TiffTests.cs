using System.Security.Cryptography;
using System.Text.Json;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Tiff;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Volumes;

public class TiffTests
{
    // tifffile reads the file on its own; the hash of its array's bytes must equal ours.
    private const string ReadWithTifffile = """
        import sys, json, hashlib, numpy as np, tifffile
        a = tifffile.imread(sys.argv[1])
        with tifffile.TiffFile(sys.argv[1]) as t:
            big, pages, comp = t.is_bigtiff, len(t.pages), int(t.pages[0].compression)
        print(json.dumps({"dtype": str(a.dtype), "shape": list(a.shape), "bigtiff": big, "pages": pages,
                          "compression": comp, "sha": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()}))
        """;

    // Writes a seeded random (z, y, x) array with the keyword arguments in argv[4] (JSON) and prints its hash.
    private const string WriteWithTifffile = """
        import sys, json, hashlib, numpy as np, tifffile
        path, dtype, shape, kw = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
        rng = np.random.default_rng(7)
        if dtype.startswith('float'):
            a = rng.standard_normal(shape).astype(dtype)
        else:
            a = rng.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype, endpoint=True)
        if 'tile' in kw: kw['tile'] = tuple(kw['tile'])
        tifffile.imwrite(path, a, **kw)
        print(hashlib.sha256(a.tobytes()).hexdigest())
        """;

    private static Volume RandomVolume(DType dtype, Vec3i shape, int seed = 1)
    {
        var v = Volume.Create(dtype, shape);
        var rng = new Random(seed);
        if (v is Volume<float> f)
            for (long i = 0; i < f.Length; i++) f.Data[i] = (float)(rng.NextDouble() * 2000 - 1000);
        else
            rng.NextBytes(v.Bytes);
        return v;
    }

    private static string Sha(Volume v) => Convert.ToHexStringLower(SHA256.HashData(v.Bytes));

    private static JsonElement Tifffile(string path) => JsonDocument.Parse(PythonOracle.Run(ReadWithTifffile, path)).RootElement;

    private static void AssertTifffileReads(string path, Volume expected, bool bigTiff, int compression = 1)
    {
        var r = Tifffile(path);
        Assert.Equal(expected.DType.Name(), r.GetProperty("dtype").GetString());
        Assert.Equal(expected.Shape.ToArray(), r.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(bigTiff, r.GetProperty("bigtiff").GetBoolean());
        Assert.Equal(expected.Shape.Z, r.GetProperty("pages").GetInt32());
        Assert.Equal(compression, r.GetProperty("compression").GetInt32());
        Assert.Equal(Sha(expected), r.GetProperty("sha").GetString());
    }

    [Theory]
    [InlineData(DType.UInt8, false)]
    [InlineData(DType.UInt16, false)]
    [InlineData(DType.UInt32, false)]
    [InlineData(DType.Float32, false)]
    [InlineData(DType.UInt8, true)]
    [InlineData(DType.UInt32, true)]
    public void TifffileReadsWhatWeWrite(DType dtype, bool deflate)
    {
        using var dir = new TempDir();
        var path = dir.File("v.tif");
        var v = RandomVolume(dtype, new Vec3i(5, 37, 61));
        TiffVolumeWriter.WriteVolume(path, v, deflate: deflate);
        AssertTifffileReads(path, v, bigTiff: false, compression: deflate ? 8 : 1);
        using var reader = TiffVolumeReader.Open(path);
        Assert.True(v.ContentEquals(reader.Read(reader.Info.Box)));
        Assert.Equal(new[] { "v.tif" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void StreamedSlabsMakeOneVolumeWithStripsSmallerThanAPage()
    {
        using var dir = new TempDir();
        var path = dir.File("slabs.tif");
        // 300 x 250 uint16 = 150 KB per page: three strips of at most 64 KiB.
        var v = (Volume<ushort>)RandomVolume(DType.UInt16, new Vec3i(7, 300, 250), seed: 3);
        using (var w = TiffVolumeWriter.Create(path, DType.UInt16, v.Shape))
        {
            foreach (var (z0, nz) in new[] { (0, 3), (3, 1), (4, 3) })
                w.WriteSlabs(v.Crop(new Box3(new Vec3i(z0, 0, 0), new Vec3i(nz, 300, 250))));
            Assert.False(File.Exists(path));
            w.Commit();
        }
        AssertTifffileReads(path, v, bigTiff: false);
        var strips = PythonOracle.Run("import sys, tifffile; print(len(tifffile.TiffFile(sys.argv[1]).pages[6].dataoffsets))", path);
        Assert.Equal("3", strips.Trim());
    }

    [Fact]
    public void SinglePageVolumeKeepsItsZAxis()
    {
        using var dir = new TempDir();
        var path = dir.File("one.tif");
        var v = RandomVolume(DType.UInt8, new Vec3i(1, 19, 23));
        TiffVolumeWriter.WriteVolume(path, v);
        AssertTifffileReads(path, v, bigTiff: false);
        using var reader = TiffVolumeReader.Open(path);
        Assert.Equal(v.Shape, reader.Info.Shape);
    }

    [Fact]
    public void BigTiffOnRequest()
    {
        using var dir = new TempDir();
        var path = dir.File("big.tif");
        var v = RandomVolume(DType.UInt16, new Vec3i(4, 29, 31));
        TiffVolumeWriter.WriteVolume(path, v, bigTiff: true);
        AssertTifffileReads(path, v, bigTiff: true);
        using var reader = TiffVolumeReader.Open(path);
        Assert.True(v.ContentEquals(reader.Read(reader.Info.Box)));
    }

    [Fact]
    public void ClassicTiffRefusesMoreThanFourGigabytes()
    {
        using var dir = new TempDir();
        var path = dir.File("huge.tif");
        var shape = new Vec3i(1100, 1024, 1024); // 4.3 GiB of uint32, never allocated
        var e = Assert.Throws<VolumeException>(() => TiffVolumeWriter.Create(path, DType.UInt32, shape, bigTiff: false));
        Assert.Contains(path, e.Message);
        using (var w = TiffVolumeWriter.Create(path, DType.UInt32, shape))
            Assert.True(w.IsBigTiff);
        using (var w = TiffVolumeWriter.Create(path, DType.UInt32, new Vec3i(900, 1024, 1024)))
            Assert.False(w.IsBigTiff);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    public static TheoryData<string, string> TifffileFiles => new()
    {
        { "uint8", "{}" },
        { "uint16", "{}" },
        { "uint32", "{}" },
        { "float32", "{}" },
        { "uint16", """{"bigtiff": true}""" },
        { "uint8", """{"compression": "zlib"}""" },
        { "uint32", """{"compression": "zlib", "bigtiff": true}""" },
        { "uint16", """{"rowsperstrip": 5}""" },
        { "uint16", """{"byteorder": ">"}""" },
        { "uint16", """{"tile": [16, 32], "compression": "zlib"}""" },
    };

    [Theory]
    [MemberData(nameof(TifffileFiles))]
    public void ReadsWhatTifffileWrites(string dtype, string kwargs)
    {
        using var dir = new TempDir();
        var path = dir.File("py.tif");
        var shape = new Vec3i(5, 37, 61);
        var sha = PythonOracle.Run(WriteWithTifffile, path, dtype, "[5, 37, 61]", kwargs).Trim();

        using var reader = TiffVolumeReader.Open(path);
        Assert.Equal(shape, reader.Info.Shape);
        Assert.Equal(dtype, reader.Info.DType.Name());
        var full = reader.Read(reader.Info.Box);
        Assert.Equal(sha, Sha(full));

        foreach (var box in new[]
        {
            new Box3(new Vec3i(1, 3, 7), new Vec3i(3, 20, 40)),
            new Box3(new Vec3i(4, 36, 60), new Vec3i(1, 1, 1)),
            new Box3(new Vec3i(0, 17, 0), new Vec3i(5, 20, 61)),
            new Box3(new Vec3i(2, 0, 33), new Vec3i(1, 37, 28)),
        })
        {
            var part = reader.Read(box);
            Assert.Equal(box, part.Box);
            Assert.True(full.Crop(box).ContentEquals(part), $"box {box}");
        }
    }

    [Fact]
    public void ReadsOnlyThePagesABoxNeeds()
    {
        using var dir = new TempDir();
        var path = dir.File("z.tif");
        var v = RandomVolume(DType.UInt8, new Vec3i(6, 40, 50));
        TiffVolumeWriter.WriteVolume(path, v, deflate: true);
        // Break page 3's compressed data: pages 0-2 and 4-5 stay readable, page 3 fails loudly.
        var at = long.Parse(PythonOracle.Run(
            "import sys, tifffile; print(tifffile.TiffFile(sys.argv[1]).pages[3].dataoffsets[0])", path).Trim());
        using (var f = File.OpenWrite(path))
        {
            f.Position = at;
            f.Write(new byte[64].Select(_ => (byte)0xA5).ToArray());
        }
        using var reader = TiffVolumeReader.Open(path);
        var below = new Box3(Vec3i.Zero, new Vec3i(3, 40, 50));
        Assert.True(v.Crop(below).ContentEquals(reader.Read(below)));
        var above = new Box3(new Vec3i(4, 0, 0), new Vec3i(2, 40, 50));
        Assert.True(v.Crop(above).ContentEquals(reader.Read(above)));
        var e = Assert.Throws<VolumeException>(() => reader.Read(new Box3(new Vec3i(3, 0, 0), new Vec3i(1, 5, 5))));
        Assert.Contains(path, e.Message);
        Assert.Contains("page 3", e.Message);
    }

    [Fact]
    public void MissingFile()
    {
        using var dir = new TempDir();
        var path = dir.File("nothing.tif");
        Assert.Contains(path, Assert.Throws<VolumeException>(() => TiffVolumeReader.Open(path)).Message);
    }

    [Fact]
    public void NotATiff()
    {
        using var dir = new TempDir();
        var path = dir.File("text.tif");
        File.WriteAllText(path, "this is not an image, just some text that is long enough");
        var e = Assert.Throws<VolumeException>(() => TiffVolumeReader.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a TIFF", e.Message);
    }

    [Theory]
    [InlineData("tifffile.imwrite(p, np.zeros((8, 9, 3), np.uint8), photometric='rgb')", "3 samples per pixel")]
    [InlineData("tifffile.imwrite(p, np.zeros((2, 8, 9), np.int16))", "int16")]
    [InlineData("""
        with tifffile.TiffWriter(p) as w:
            w.write(np.zeros((8, 9), np.uint8))
            w.write(np.zeros((8, 10), np.uint8))
        """, "page 1 is 8x10 but page 0 is 8x9")]
    [InlineData("""
        with tifffile.TiffWriter(p) as w:
            w.write(np.zeros((8, 9), np.uint8))
            w.write(np.zeros((8, 9), np.uint16))
        """, "page 1 holds uint16")]
    public void RejectsFilesThatAreNotOneGrayscaleVolume(string write, string problem)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.tif");
        PythonOracle.Run("import sys, numpy as np, tifffile\np = sys.argv[1]\n" + write, path);
        var e = Assert.Throws<VolumeException>(() => TiffVolumeReader.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void BoxOutsideTheVolume()
    {
        using var dir = new TempDir();
        var path = dir.File("v.tif");
        TiffVolumeWriter.WriteVolume(path, RandomVolume(DType.UInt8, new Vec3i(3, 10, 12)));
        using var reader = TiffVolumeReader.Open(path);
        var e = Assert.Throws<VolumeException>(() => reader.Read(new Box3(new Vec3i(1, 5, 5), new Vec3i(3, 2, 2))));
        Assert.Contains(path, e.Message);
        Assert.Throws<VolumeException>(() => reader.Read(new Box3(new Vec3i(0, -1, 0), new Vec3i(1, 2, 2))));
    }

    [Fact]
    public void DisposeWithoutCommitLeavesNoFile()
    {
        using var dir = new TempDir();
        var path = dir.File("partial.tif");
        var v = RandomVolume(DType.UInt8, new Vec3i(4, 10, 12));
        using (var w = TiffVolumeWriter.Create(path, DType.UInt8, v.Shape))
        {
            w.WriteSlabs(v.Crop(new Box3(Vec3i.Zero, new Vec3i(2, 10, 12))));
            Assert.Single(Directory.GetFiles(dir.Path)); // the temporary file
            var e = Assert.Throws<InvalidOperationException>(w.Commit);
            Assert.Contains("2 of 4", e.Message);
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void OutOfOrderOrMisshapenSlabsThrow()
    {
        using var dir = new TempDir();
        var path = dir.File("order.tif");
        var v = RandomVolume(DType.UInt16, new Vec3i(4, 10, 12));
        using var w = TiffVolumeWriter.Create(path, DType.UInt16, v.Shape);
        Assert.Throws<ArgumentException>(() => w.WriteSlabs(v.Crop(new Box3(new Vec3i(1, 0, 0), new Vec3i(1, 10, 12)))));
        w.WriteSlabs(v.Crop(new Box3(Vec3i.Zero, new Vec3i(2, 10, 12))));
        Assert.Throws<ArgumentException>(() => w.WriteSlabs(v.Crop(new Box3(Vec3i.Zero, new Vec3i(2, 10, 12)))));
        Assert.Throws<ArgumentException>(() => w.WriteSlabs(v.Crop(new Box3(new Vec3i(2, 0, 0), new Vec3i(2, 10, 11)))));
        Assert.Throws<ArgumentException>(() => w.WriteSlabs(v.ConvertTo<byte>().Crop(new Box3(new Vec3i(2, 0, 0), new Vec3i(2, 10, 12)))));
        w.WriteSlabs(v.Crop(new Box3(new Vec3i(2, 0, 0), new Vec3i(2, 10, 12))));
        w.Commit();
        using var reader = TiffVolumeReader.Open(path);
        Assert.True(v.ContentEquals(reader.Read(reader.Info.Box)));
    }

    [Fact]
    public void WriterRejectsUnwritableTargets()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "no-such-dir", "v.tif");
        Assert.Contains(missing, Assert.Throws<VolumeException>(
            () => TiffVolumeWriter.Create(missing, DType.UInt8, new Vec3i(1, 2, 2))).Message);
        Assert.Contains("bool", Assert.Throws<VolumeException>(
            () => TiffVolumeWriter.Create(dir.File("b.tif"), DType.Bool, new Vec3i(1, 2, 2))).Message);
    }
}
