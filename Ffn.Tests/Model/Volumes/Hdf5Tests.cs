using System.Security.Cryptography;
using System.Text.Json;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Volumes;

/// <summary>HDF5 read/write checked against h5py (the oracle) through SHA-256 of the raw C-order bytes.</summary>
public class Hdf5Tests
{
    private static string Sha(Volume v) => Convert.ToHexStringLower(SHA256.HashData(v.Bytes));

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    // ---- h5py-written files from ../shared ------------------------------------------------------------------

    [Theory]
    [InlineData("testvectors/partition_input.h5", "labels", DType.UInt32)]
    [InlineData("testvectors/inference_input_ts1_64x96x96.h5", "raw", DType.UInt8)]
    [InlineData("data/fib25/training_sample1.h5", "/raw", DType.UInt8)]
    public void SharedFilesMatchH5py(string file, string dataset, DType dtype)
    {
        var path = TestData.SharedFile(file.Split('/'));
        // An odd box well inside the volume, the same for every file (all are at least 64 voxels per axis).
        var box = new Box3(new Vec3i(3, 17, 29), new Vec3i(31, 22, 35));
        var py = Json(PythonOracle.Run("""
            import sys, json, hashlib, h5py
            f, name, z, y, x, dz, dy, dx = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
            d = h5py.File(f, 'r')[name]
            a = d[...]
            s = d[z:z+dz, y:y+dy, x:x+dx]
            print(json.dumps({'shape': list(d.shape), 'dtype': str(d.dtype), 'chunks': list(d.chunks or []),
                'sha': hashlib.sha256(a.tobytes()).hexdigest(), 'sub_sha': hashlib.sha256(s.tobytes()).hexdigest(),
                'sum': int(a.astype('u8').sum()), 'voxel': int(a[z, y, x])}))
            """, path, dataset, "3", "17", "29", "31", "22", "35"));

        using var r = Hdf5VolumeReader.Open(path, dataset);
        Assert.Equal(dtype, r.Info.DType);
        Assert.Equal(dtype.Name(), py.GetProperty("dtype").GetString());
        var shape = py.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(new Vec3i(shape[0], shape[1], shape[2]), r.Info.Shape);
        var chunks = py.GetProperty("chunks").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(new Vec3i(chunks[0], chunks[1], chunks[2]), r.Info.Chunks);

        var all = r.Read(r.Info.Box);
        Assert.Equal(py.GetProperty("sha").GetString(), Sha(all));
        double sum = 0;
        for (long i = 0; i < all.Length; i++) sum += all.GetDouble(i);
        Assert.Equal(py.GetProperty("sum").GetUInt64(), (ulong)sum);

        var sub = r.Read(box);
        Assert.Equal(box.Start, sub.Offset);
        Assert.Equal(py.GetProperty("sub_sha").GetString(), Sha(sub));
        Assert.Equal(py.GetProperty("voxel").GetUInt64(), (ulong)sub.GetDouble(0));
        Assert.True(all.Crop(box).ContentEquals(sub));
    }

    [Fact]
    public void ConcurrentReadsOfOneReaderAgreeWithAFullRead()
    {
        using var r = Hdf5VolumeReader.Open(TestData.SharedFile("data", "fib25", "training_sample1.h5"), "raw");
        var all = r.Read(r.Info.Box);
        var rng = new Random(5);
        var boxes = Enumerable.Range(0, 48).Select(_ =>
        {
            var size = new Vec3i(rng.Next(1, 90), rng.Next(1, 90), rng.Next(1, 90));
            var start = new Vec3i(rng.Next(0, 250 - size.Z), rng.Next(0, 250 - size.Y), rng.Next(0, 250 - size.X));
            return new Box3(start, size);
        }).ToArray();
        var results = new Volume[boxes.Length];
        Parallel.For(0, boxes.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = r.Read(boxes[i]));
        for (int i = 0; i < boxes.Length; i++) Assert.True(all.Crop(boxes[i]).ContentEquals(results[i]), $"box {boxes[i]}");
    }

    // ---- every dtype: h5py writes, C# reads; C# writes, h5py reads -------------------------------------------

    public static TheoryData<string, bool> DTypesAndLayouts() => new()
    {
        { "u1", true }, { "u2", true }, { "u4", true }, { "u8", true },
        { "i4", true }, { "i8", true }, { "f4", true }, { "f8", true }, { "?", true },
        { "u4", false }, { "f8", false }, { "u1", false },
        { ">u2", true }, { ">i8", false }, { ">f4", true },   // big-endian files: values, not bytes, must match
    };

    private const string WriteRandom = """
        import sys, json, hashlib, h5py, numpy as np
        path, code, chunked = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
        rng = np.random.default_rng(42)
        shape = (37, 41, 43)
        dt = np.dtype(code)
        native = dt.newbyteorder('=')
        if dt.kind == 'f':
            a = (rng.standard_normal(shape) * 1e3).astype(dt)
        elif dt.kind == 'b':
            a = rng.integers(0, 2, shape).astype(bool)
        else:
            info = np.iinfo(native)
            a = rng.integers(info.min, info.max, shape, dtype=native, endpoint=True).astype(dt)
        with h5py.File(path, 'w') as f:
            g = f.create_group('grp')
            if chunked:
                g.create_dataset('vol', data=a, chunks=(8, 16, 10), compression='gzip', compression_opts=4)
            else:
                g.create_dataset('vol', data=a)
        little = a.astype(a.dtype.newbyteorder('<'))
        print(json.dumps({'dtype': a.dtype.name, 'sha': hashlib.sha256(little.tobytes()).hexdigest()}))
        """;

    [Theory]
    [MemberData(nameof(DTypesAndLayouts))]
    public void ReadsH5pyDatasetsAndHyperslabsEqualCrops(string code, bool chunked)
    {
        using var tmp = new TempDir();
        var path = tmp.File("in.h5");
        var py = Json(PythonOracle.Run(WriteRandom, path, code, chunked ? "1" : "0"));

        using var r = Hdf5VolumeReader.Open(path, "/grp/vol");
        Assert.Equal(py.GetProperty("dtype").GetString(), r.Info.DType.Name());
        Assert.Equal(new Vec3i(37, 41, 43), r.Info.Shape);
        Assert.Equal(chunked ? new Vec3i(8, 16, 10) : null, r.Info.Chunks);
        var all = r.Read(r.Info.Box);
        Assert.Equal(py.GetProperty("sha").GetString(), Sha(all));
        foreach (var box in new Box3[]
                 {
                     new(new Vec3i(0, 0, 0), new Vec3i(1, 1, 1)),
                     new(new Vec3i(3, 5, 7), new Vec3i(9, 13, 17)),
                     new(new Vec3i(7, 15, 9), new Vec3i(2, 2, 2)),      // straddles chunk corners
                     new(new Vec3i(36, 40, 42), new Vec3i(1, 1, 1)),    // last voxel, in a partial edge chunk
                     new(new Vec3i(1, 0, 11), new Vec3i(35, 41, 31)),
                 })
        {
            var sub = r.Read(box);
            Assert.Equal(box.Start, sub.Offset);
            Assert.True(all.Crop(box).ContentEquals(sub), $"box {box}");
        }
    }

    private const string Inspect = """
        import sys, json, hashlib, h5py, numpy as np
        def plain(v):
            if isinstance(v, np.ndarray): return {'dtype': str(v.dtype), 'value': v.tolist()}
            if isinstance(v, np.generic): return {'dtype': str(v.dtype), 'value': v.item()}
            return {'dtype': type(v).__name__, 'value': v}
        out = {}
        with h5py.File(sys.argv[1], 'r') as f:
            for name in sys.argv[2:]:
                d = f[name]
                a = d[...]
                out[name] = {'shape': list(d.shape), 'dtype': str(d.dtype), 'chunks': list(d.chunks or []),
                    'compression': d.compression, 'sha': hashlib.sha256(a.tobytes()).hexdigest(),
                    'attrs': {k: plain(v) for k, v in d.attrs.items()}}
        print(json.dumps(out))
        """;

    private static Volume RandomVolume(DType dtype, Vec3i shape, int seed)
    {
        var v = Volume.Create(dtype, shape);
        var rng = new Random(seed);
        if (dtype == DType.Bool)
        {
            var b = v.As<bool>().Data;
            for (int i = 0; i < b.Length; i++) b[i] = rng.Next(2) == 1;
        }
        else if (dtype.IsFloat())
        {
            // Random bit patterns would include NaNs; keep floats finite so failures print readable values.
            var d = new double[shape.Product];
            for (int i = 0; i < d.Length; i++) d[i] = (rng.NextDouble() - 0.5) * 1e6;
            var back = new Volume<double>(d, shape);
            return dtype == DType.Float32 ? back.ConvertTo<float>() : back;
        }
        else rng.NextBytes(v.Bytes);
        return v;
    }

    [Theory]
    [InlineData(DType.UInt8)]
    [InlineData(DType.UInt16)]
    [InlineData(DType.UInt32)]
    [InlineData(DType.UInt64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Bool)]
    public void WritesBlocksInAnyOrderThatH5pyReadsBack(DType dtype)
    {
        using var tmp = new TempDir();
        var path = tmp.File("out.h5");
        var shape = new Vec3i(45, 50, 37);
        var volume = RandomVolume(dtype, shape, seed: (int)dtype);
        var attrs = new Dictionary<string, object>
        {
            ["count"] = 7,
            ["big"] = 1L << 40,
            ["scale"] = 0.25,
            ["note"] = "résumé, ok",
            ["sizes"] = new[] { 3, 1, 4 },
            ["weights"] = new[] { 0.5, -1.5 },
            ["offset"] = new Vec3i(1, 2, 3),
            ["flag"] = true,
            ["flags"] = new[] { false, true },
        };
        // Blocks that do not align with the chunks, shuffled.
        var tiles = volume.Box.Tiles(new Vec3i(20, 17, 13)).ToArray();
        new Random(3).Shuffle(tiles);
        using (var w = Hdf5VolumeWriter.Create(path))
        {
            w.AddDataset("vol", dtype, shape, chunks: new Vec3i(16, 16, 16), attributes: attrs);
            w.AddDataset("grp/small", DType.Int32, new Vec3i(3, 4, 5));    // one chunk (single-chunk index)
            foreach (var t in tiles) w.WriteBlock("vol", volume.Crop(t));
            w.WriteBlock("/grp/small", new Volume<int>(Enumerable.Range(-30, 60).ToArray(), new Vec3i(3, 4, 5)));
            Assert.False(File.Exists(path));
            w.Commit();
        }
        Assert.Equal(["out.h5"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName));

        var py = Json(PythonOracle.Run(Inspect, path, "vol", "grp/small"));
        var d = py.GetProperty("vol");
        Assert.Equal([45, 50, 37], d.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(dtype.Name(), d.GetProperty("dtype").GetString());
        Assert.Equal(Sha(volume), d.GetProperty("sha").GetString());
        Assert.Equal([16, 16, 16], d.GetProperty("chunks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("gzip", d.GetProperty("compression").GetString());
        var a = d.GetProperty("attrs");
        void Attr(string name, string npDtype, string json)
        {
            Assert.Equal(npDtype, a.GetProperty(name).GetProperty("dtype").GetString());
            Assert.Equal(json, a.GetProperty(name).GetProperty("value").GetRawText());
        }
        Attr("count", "int32", "7");
        Attr("big", "int64", "1099511627776");
        Attr("scale", "float64", "0.25");
        Attr("note", "str", "\"r\\u00e9sum\\u00e9, ok\"");
        Attr("sizes", "int32", "[3, 1, 4]");
        Attr("weights", "float64", "[0.5, -1.5]");
        Attr("offset", "int32", "[1, 2, 3]");
        Attr("flag", "bool", "true");
        Attr("flags", "bool", "[false, true]");
        var small = py.GetProperty("grp/small");
        Assert.Equal(Sha(new Volume<int>(Enumerable.Range(-30, 60).ToArray(), new Vec3i(3, 4, 5))),
            small.GetProperty("sha").GetString());

        // And our own reader agrees, attributes included.
        using var r = Hdf5VolumeReader.Open(path, "vol");
        Assert.True(volume.ContentEquals(r.Read(r.Info.Box)));
        var back = r.ReadAttributes();
        Assert.Equal(7, back["count"]);
        Assert.Equal(1L << 40, back["big"]);
        Assert.Equal(0.25, back["scale"]);
        Assert.Equal("résumé, ok", back["note"]);
        Assert.Equal(new[] { 3, 1, 4 }, back["sizes"]);
        Assert.Equal(new[] { 1, 2, 3 }, back["offset"]);
        Assert.Equal(true, back["flag"]);
        Assert.Equal(new[] { false, true }, back["flags"]);
        Assert.Equal(["grp/small", "vol"], Hdf5VolumeReader.ListDatasets(path).Order());
    }

    [Fact]
    public void WriteVolumeIgnoresTheOffsetAndLevelZeroIsUncompressed()
    {
        using var tmp = new TempDir();
        var path = tmp.File("one.h5");
        var v = RandomVolume(DType.UInt16, new Vec3i(70, 9, 130), seed: 9);
        v.Offset = new Vec3i(5, 5, 5);
        Hdf5VolumeWriter.WriteVolume(path, "raw", v, gzipLevel: 0);
        Assert.Equal(new Vec3i(5, 5, 5), v.Offset);
        var d = Json(PythonOracle.Run(Inspect, path, "raw")).GetProperty("raw");
        Assert.Equal(Sha(v), d.GetProperty("sha").GetString());
        Assert.Equal([64, 9, 64], d.GetProperty("chunks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.Null, d.GetProperty("compression").ValueKind);
    }

    [Fact]
    public void ReadsH5pyAttributes()
    {
        using var tmp = new TempDir();
        var path = tmp.File("attrs.h5");
        PythonOracle.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], 'w') as f:
                d = f.create_dataset('v', data=np.zeros((2, 3, 4), 'u1'))
                d.attrs['i'] = np.int64(-5)
                d.attrs['u'] = np.uint32(9)
                d.attrs['f'] = 1.5
                d.attrs['s'] = 'hello'
                d.attrs['b'] = True
                d.attrs['arr'] = np.array([[1, 2], [3, 4]], 'i4')
                d.attrs['strs'] = ['a', 'bc']
                d.attrs['cmp'] = np.zeros(2, dtype=[('a', 'i4'), ('b', 'f8')])
            """, path);
        using var r = Hdf5VolumeReader.Open(path, "v");
        var a = r.ReadAttributes();
        Assert.Equal(-5L, a["i"]);
        Assert.Equal(9u, a["u"]);
        Assert.Equal(1.5, a["f"]);
        Assert.Equal("hello", a["s"]);
        Assert.Equal(true, a["b"]);
        Assert.Equal(new[] { 1, 2, 3, 4 }, a["arr"]);
        Assert.Equal(new[] { "a", "bc" }, a["strs"]);
        Assert.False(a.ContainsKey("cmp"));
    }

    // ---- bad input ----------------------------------------------------------------------------------------------

    private static string BadFile(TempDir tmp)
    {
        var path = tmp.File("bad.h5");
        PythonOracle.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], 'w') as f:
                f.create_dataset('flat', data=np.zeros((4, 5), 'u1'))
                f.create_dataset('signed8', data=np.zeros((2, 2, 2), 'i1'))
                f.create_dataset('half', data=np.zeros((2, 2, 2), 'f2'))
                f.create_dataset('text', data=np.array([[[b'ab']]]))
                f.create_dataset('pairs', data=np.zeros((2, 2, 2), dtype=[('a', 'i4'), ('b', 'f8')]))
                f.create_dataset('grp/ok', data=np.zeros((2, 2, 2), 'u1'))
            """, path);
        return path;
    }

    [Theory]
    [InlineData("flat", "expected a 3D (z, y, x) dataset, found shape (4, 5)")]
    [InlineData("signed8", "unsupported dtype int8")]
    [InlineData("half", "unsupported dtype float16")]
    [InlineData("text", "unsupported dtype string")]
    [InlineData("pairs", "unsupported dtype compound")]
    [InlineData("nope", "no dataset 'nope' (available: flat, grp/ok, half, pairs, signed8, text)")]
    [InlineData("grp/nope", "no dataset 'grp/nope'")]
    [InlineData("grp", "'grp' is a group, not a dataset")]
    public void BadDatasetsGiveOneLineErrorsNamingTheFile(string dataset, string expected)
    {
        using var tmp = new TempDir();
        var path = BadFile(tmp);
        var e = Assert.Throws<VolumeException>(() => Hdf5VolumeReader.Open(path, dataset));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        using var ok = Hdf5VolumeReader.Open(path, "grp/ok");
    }

    [Fact]
    public void MissingOrNonHdf5FilesGiveVolumeExceptions()
    {
        using var tmp = new TempDir();
        var missing = tmp.File("missing.h5");
        var e = Assert.Throws<VolumeException>(() => Hdf5VolumeReader.Open(missing, "raw"));
        Assert.Equal($"{missing}: no such file", e.Message);
        Assert.Throws<VolumeException>(() => Hdf5VolumeReader.ListDatasets(missing));

        var text = tmp.File("text.h5");
        File.WriteAllText(text, "this is not HDF5, just some text that is long enough to look like a header\n");
        e = Assert.Throws<VolumeException>(() => Hdf5VolumeReader.Open(text, "raw"));
        Assert.StartsWith($"{text}: not an HDF5 file", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void BoxesOutsideTheVolumeAreRejected()
    {
        var path = TestData.SharedFile("testvectors", "partition_input.h5");
        using var r = Hdf5VolumeReader.Open(path, "labels");
        foreach (var box in new Box3[]
                 {
                     new(new Vec3i(0, 0, 0), new Vec3i(81, 1, 1)),
                     new(new Vec3i(-1, 0, 0), new Vec3i(2, 2, 2)),
                     new(new Vec3i(79, 95, 111), new Vec3i(1, 1, 2)),
                     new(new Vec3i(0, 0, 0), new Vec3i(0, 5, 5)),
                 })
        {
            var e = Assert.Throws<VolumeException>(() => r.Read(box));
            Assert.StartsWith($"{path}:labels: box", e.Message);
        }
    }

    // ---- writer lifecycle ---------------------------------------------------------------------------------------

    [Fact]
    public void DisposeWithoutCommitLeavesNothing()
    {
        using var tmp = new TempDir();
        var path = tmp.File("never.h5");
        using (var w = Hdf5VolumeWriter.Create(path))
        {
            w.AddDataset("a", DType.UInt8, new Vec3i(8, 8, 8));
            w.WriteBlock("a", new Volume<byte>(new Vec3i(4, 8, 8)));
            Assert.Single(Directory.GetFiles(tmp.Path));   // only the temporary file exists meanwhile
        }
        using (var w = Hdf5VolumeWriter.Create(path)) { }
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void CommitReplacesAnExistingFileAndBadCallsThrow()
    {
        using var tmp = new TempDir();
        var path = tmp.File("x.h5");
        File.WriteAllText(path, "old");
        using var w = Hdf5VolumeWriter.Create(path);
        w.AddDataset("a", DType.UInt8, new Vec3i(8, 8, 8), chunks: new Vec3i(4, 4, 4));
        Assert.Throws<ArgumentException>(() => w.AddDataset("a", DType.UInt8, new Vec3i(8, 8, 8)));
        Assert.Throws<ArgumentException>(() => w.WriteBlock("a", new Volume<ushort>(new Vec3i(1, 1, 1))));
        Assert.Throws<ArgumentException>(() => w.WriteBlock("a", new Volume<byte>(new Vec3i(2, 2, 2), new Vec3i(7, 0, 0))));
        w.WriteBlock("a", new Volume<byte>(new Vec3i(4, 4, 4)));
        // Rewriting a chunk that is already on disk cannot be done; it is refused rather than corrupting the file.
        Assert.Throws<InvalidOperationException>(() => w.WriteBlock("a", new Volume<byte>(new Vec3i(1, 1, 1), new Vec3i(3, 3, 3))));
        Assert.Throws<InvalidOperationException>(() => w.AddDataset("b", DType.UInt8, new Vec3i(8, 8, 8)));
        w.Commit();
        Assert.Throws<ObjectDisposedException>(() => w.Commit());
        using var r = Hdf5VolumeReader.Open(path, "a");
        Assert.Equal(0.0, r.Read(r.Info.Box).GetDouble(511));   // never written: HDF5 fill value
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void CreateInAMissingDirectoryFails()
    {
        using var tmp = new TempDir();
        var path = Path.Combine(tmp.Path, "no", "x.h5");
        var e = Assert.Throws<VolumeException>(() => Hdf5VolumeWriter.Create(path));
        Assert.StartsWith(path, e.Message);
    }
}
