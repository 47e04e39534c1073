using System.Globalization;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Model.Volumes.Zarr;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Volumes.Zarr;

/// <summary>Zarr v2 arrays against zarr-python (Debian's python3-zarr): what it writes we read exactly, and the reverse.</summary>
public class ZarrTests
{
    /// <summary>zarr-python writes (name, dtype, compressor, chunk separator, fill value); each with chunks left unwritten.</summary>
    private const string WriteCases = """
        import sys, numpy as np, zarr
        from numcodecs import Zstd, GZip, Zlib, Blosc
        d = sys.argv[1]
        rng = np.random.default_rng(3)
        shape, chunks = (13, 21, 34), (5, 8, 16)
        cases = [('u1', '|u1', None, '.', 0), ('u2z', '<u2', Zstd(level=3), '.', 0), ('u4g', '<u4', GZip(level=5), '/', 0),
                 ('u8l', '<u8', Zlib(level=1), '.', 7), ('f4', '<f4', Zstd(), '/', 1.5), ('be', '>u2', Zlib(), '.', 0),
                 ('i8', '<i8', None, '.', 0), ('bl', '<u4', Blosc(cname='lz4', shuffle=Blosc.SHUFFLE), '.', 0),
                 ('bz', '<f4', Blosc(cname='zstd', shuffle=Blosc.BITSHUFFLE), '/', 0)]
        g = zarr.open_group(d + '/store.zarr', mode='w')
        for name, dt, comp, sep, fill in cases:
            full = np.full(shape, fill, dtype=np.dtype(dt))
            data = (rng.integers(0, 250, size=shape)).astype(np.dtype(dt))
            z = g.create_dataset(name, shape=shape, chunks=chunks, dtype=dt, compressor=comp, fill_value=fill, dimension_separator=sep)
            # Only part of the array is written: chunks outside it stay missing and read as the fill value.
            z[2:11, 0:15, 3:30] = data[2:11, 0:15, 3:30]
            full[2:11, 0:15, 3:30] = data[2:11, 0:15, 3:30]
            np.save(f'{d}/{name}.npy', full.astype(full.dtype.newbyteorder('<')))
        """;

    [Fact]
    public void What_zarr_python_writes_reads_back_exactly_in_any_box()
    {
        using var tmp = new TempDir();
        PythonOracle.Run(WriteCases, tmp.Path);
        foreach (var name in new[] { "u1", "u2z", "u4g", "u8l", "f4", "be", "i8", "bl", "bz" })
        {
            var expected = NpyFile.Read(tmp.File(name + ".npy")).ToVolume(name);
            using var reader = VolumeStore.OpenRead(VolumeSpec.Parse(tmp.File("store.zarr") + ":" + name));
            Assert.Equal(expected.Shape, reader.Info.Shape);
            Assert.Equal(expected.DType, reader.Info.DType);
            Assert.True(reader.Read(reader.Info.Box).ContentEquals(expected), $"{name}: whole array differs");
            foreach (var box in new[] { new Box3(new Vec3i(4, 7, 15), new Vec3i(6, 9, 3)), new Box3(new Vec3i(12, 20, 33), Vec3i.One), new Box3(Vec3i.Zero, new Vec3i(1, 21, 34)) })
            {
                var part = reader.Read(box);
                Assert.Equal(box.Start, part.Offset);
                Assert.True(part.ContentEquals(expected.Crop(box)), $"{name}: box {box} differs");
            }
        }
        // The same array by its folder path, and the store as a group: one line naming the arrays.
        using (var r = VolumeStore.OpenRead(VolumeSpec.Parse(tmp.File("store.zarr/u1")))) Assert.Equal(new Vec3i(13, 21, 34), r.Info.Shape);
        var e = Assert.Throws<VolumeException>(() => VolumeStore.OpenRead(VolumeSpec.Parse(tmp.File("store.zarr"))));
        Assert.Contains("a zarr group, not an array", e.Message);
        Assert.Contains("u2z", e.Message);
    }

    [Theory]
    [InlineData("none", DType.UInt8)]
    [InlineData("zstd", DType.UInt32)]
    [InlineData("gzip:6", DType.UInt64)]
    [InlineData("zlib", DType.Float32)]
    [InlineData("zstd:9", DType.UInt16)]
    public void What_we_write_zarr_python_reads_exactly(string compressor, DType dtype)
    {
        using var tmp = new TempDir();
        var shape = new Vec3i(9, 30, 41);
        var v = Volume.Create(dtype, shape);
        var rnd = new Random(5);
        var bytes = v.Bytes;
        rnd.NextBytes(bytes);
        if (dtype == DType.Float32) // random bits make NaNs, which do not compare equal
            for (int i = 0; i < bytes.Length; i += 4) BitConverter.TryWriteBytes(bytes[i..], (float)rnd.NextDouble());
        // A region of zeros large enough to leave whole chunks unwritten.
        var zeros = Volume.Create(dtype, new Vec3i(9, 16, 16), new Vec3i(0, 0, 0));
        v.PasteBytes(zeros);
        var dir = tmp.File("out.zarr");
        var w = ZarrVolumeWriter.Create(dir, shape, dtype, new Vec3i(4, 8, 8), ZarrCompressor.Parse(compressor));
        // Written in two overlapping-chunk halves: the second reads, updates and rewrites the chunks they share.
        w.Write(v.Crop(new Box3(Vec3i.Zero, new Vec3i(9, 30, 20))));
        w.Write(v.Crop(new Box3(new Vec3i(0, 0, 20), new Vec3i(9, 30, 21))));
        NpyFile.Write(tmp.File("expected.npy"), NdArray.FromVolume(v));
        var outp = PythonOracle.Run("""
            import sys, os, numpy as np, zarr
            z = zarr.open(sys.argv[1], mode='r')
            e = np.load(sys.argv[2])
            assert z.dtype == e.dtype and z.shape == e.shape, (z.dtype, z.shape, e.dtype, e.shape)
            print('equal' if np.array_equal(z[...], e) else 'DIFFERENT', len([f for f in os.listdir(sys.argv[1]) if not f.startswith('.')]))
            """, dir, tmp.File("expected.npy")).Trim();
        Assert.StartsWith("equal", outp);
        Assert.False(Directory.Exists(Path.Combine(dir, "0", "0", "0")) && File.Exists(Path.Combine(dir, "0", "0", "0")), "an all-zero chunk was stored");
        Assert.False(File.Exists(Path.Combine(dir, "0", "0", "0")));
    }

    [Theory]
    [InlineData("dtype", "dtype <c8 is not supported")]
    [InlineData("order", "order F")]
    [InlineData("compressor", "compressor 'lz4' is not supported")]
    [InlineData("truncated", "truncated chunk")]
    [InlineData("corrupt", "corrupt zstd chunk")]
    public void Bad_arrays_are_one_line_naming_the_file(string kind, string message)
    {
        using var tmp = new TempDir();
        PythonOracle.Run("""
            import sys, json, os, numpy as np, zarr
            from numcodecs import Zstd, LZ4
            d, kind = sys.argv[1], sys.argv[2]
            p = d + '/a.zarr'
            z = zarr.open_array(p, mode='w', shape=(4, 4, 4), chunks=(4, 4, 4), dtype='<u2', compressor=Zstd() if kind != 'compressor' else LZ4())
            z[...] = np.arange(64, dtype='<u2').reshape(4, 4, 4)
            meta = json.load(open(p + '/.zarray'))
            if kind == 'dtype': meta['dtype'] = '<c8'
            if kind == 'order': meta['order'] = 'F'
            if kind == 'truncated':
                meta['compressor'] = None
                open(p + '/0.0.0', 'wb').write(np.arange(10, dtype='<u2').tobytes())
            if kind == 'corrupt': open(p + '/0.0.0', 'wb').write(b'not zstd at all')
            json.dump(meta, open(p + '/.zarray', 'w'))
            """, tmp.Path, kind);
        var r = Cli.Run("stats", tmp.File("a.zarr"));
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.ErrLines);
        Assert.Contains(message, r.Err);
        Assert.Contains("a.zarr", r.Err);
    }

    [Fact]
    public void Stats_of_a_zarr_volume_equal_numpy()
    {
        using var tmp = new TempDir();
        var outp = PythonOracle.Run("""
            import sys, numpy as np, zarr
            from numcodecs import Zstd
            a = np.random.default_rng(8).integers(0, 256, size=(40, 70, 90)).astype(np.uint8)
            zarr.save_array(sys.argv[1], a, chunks=(16, 32, 32), compressor=Zstd())
            print(repr(float(a.astype(np.float64).mean())), repr(float(a.astype(np.float64).std())))
            """, tmp.File("em.zarr")).Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var r = Cli.Run("stats", tmp.File("em.zarr"), "--block-shape", "7,33,40");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{outp[0]:F4}"), r.Out);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{outp[1]:F4}"), r.Out);
    }
}
