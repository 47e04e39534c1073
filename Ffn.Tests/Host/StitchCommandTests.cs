using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

public class StitchCommandTests
{
    /// <summary>Writes FFN-PyTorch-style tiles of random blobs: a volume cut on a grid, each tile numbered on its own.</summary>
    private const string MakeTiles = """
import sys, numpy as np
d, shape, tile, seed = sys.argv[1], [int(v) for v in sys.argv[2].split(',')], [int(v) for v in sys.argv[3].split(',')], int(sys.argv[4])
rng = np.random.default_rng(seed)
# Blobs: a coarse random grid upsampled, so objects are tens of voxels across and cross tile faces.
coarse = rng.integers(1, 40, size=[s // 5 + 2 for s in shape])
lab = coarse.repeat(5, 0).repeat(5, 1).repeat(5, 2)[:shape[0], :shape[1], :shape[2]].astype(np.int64)
lab[rng.random(shape) < 0.01] = 0
k = 0
for z in range(0, shape[0], tile[0]):
    for y in range(0, shape[1], tile[1]):
        for x in range(0, shape[2], tile[2]):
            k += 1
            t = lab[z:z + tile[0], y:y + tile[1], x:x + tile[2]]
            ids = np.unique(t[t > 0])
            perm = rng.permutation(len(ids)) + 1 + rng.integers(0, 50)
            local = np.zeros(t.shape, np.uint64 if k % 4 == 3 else np.uint32)
            for i, v in enumerate(ids):
                local[t == v] = perm[i]
            if k == 2:
                continue  # an empty block FFN-PyTorch skipped: no file
            if k % 3 == 0:
                np.savez_compressed(f'{d}/seg_{z}_{y}_{x}_my_model_v2.npz', segmentation=local, origins=np.zeros((1, 3)))
            else:
                np.save(f'{d}/seg_{z}_{y}_{x}.npy', local)
""";

    /// <summary>
    /// NumPy reimplementation of FFN-PyTorch's stitch + merge (our own, written for this test): tiles placed with ids
    /// (tile, local); for every tile face on z, y and x, the label pair across it merges when each label fills the
    /// min_consecutive_pixels voxels inward (NumPy-clipped at the volume edge, never crossing into another tile);
    /// transitive; objects numbered by their smallest (tile, local) key.
    /// </summary>
    private const string Reference = """
import sys, os, re, numpy as np, tifffile
d, out, shape, tile, m, merge = sys.argv[1], sys.argv[2], [int(v) for v in sys.argv[3].split(',')], [int(v) for v in sys.argv[4].split(',')], int(sys.argv[5]), sys.argv[6] == 'faces'
grid = [(s + t - 1) // t for s, t in zip(shape, tile)]
key = np.zeros(shape, np.int64)
for f in os.listdir(d):
    mt = re.match(r'^seg_(\d+)_(\d+)_(\d+)(_.+)?\.(npy|npz)$', f)
    if not mt: continue
    z, y, x = int(mt.group(1)), int(mt.group(2)), int(mt.group(3))
    a = np.load(d + '/' + f)
    if f.endswith('.npz'): a = a['segmentation']
    b = ((z // tile[0]) * grid[1] + y // tile[1]) * grid[2] + x // tile[2]
    a = a.astype(np.int64)
    key[z:z + a.shape[0], y:y + a.shape[1], x:x + a.shape[2]] = np.where(a > 0, (b << 32) + a, 0)
parent = {}
def find(v):
    while parent.setdefault(v, v) != v:
        v = parent[v]
    return v
if merge:
    for ax in range(3):
        k = np.moveaxis(key, ax, 0)
        for s in range(tile[ax], shape[ax], tile[ax]):
            lo_need, hi_need = min(m, s), min(m, shape[ax] - s)
            hi_depth = min(tile[ax], shape[ax] - s)
            if tile[ax] < lo_need or hi_depth < hi_need: continue
            a, b = k[s - 1], k[s]
            ok = (a > 0) & (b > 0) & np.all(k[s - lo_need:s] == a, axis=0) & np.all(k[s:s + hi_need] == b, axis=0)
            for u, v in set(zip(a[ok].tolist(), b[ok].tolist())):
                ru, rv = find(u), find(v)
                if ru != rv: parent[max(ru, rv)] = min(ru, rv)
ids = np.unique(key[key > 0])
roots = np.array([find(int(v)) for v in ids], np.int64)
first = {}
for v, r in zip(ids.tolist(), roots.tolist()):
    first.setdefault(r, v)   # ids ascending: the first key of each root is its smallest
order = sorted(first, key=lambda r: first[r])
final = {r: i + 1 for i, r in enumerate(order)}
lut = np.array([final[r] for r in roots.tolist()], np.uint32)
expected = np.zeros(shape, np.uint32)
expected[key > 0] = lut[np.searchsorted(ids, key[key > 0])]
got = tifffile.imread(out)
print(got.shape == tuple(shape), got.dtype, int(expected.max()), bool((got == expected).all()), int((got != expected).sum()))
""";

    [Theory]
    [InlineData("faces", "37,45,52", "16,8,16", "4", "--merge", "faces")]   // edge tiles clipped; "16" < "8" in name order
    [InlineData("faces", "30,40,40", "30,20,20", "15", "--merge_labels", null)] // FFN-PyTorch's layout and switch
    [InlineData("none", "24,30,30", "8,10,10", "15", "--merge", "none")]
    public void MatchesNumPyReimplementation(string merge, string shape, string tile, string m, string flag, string? value)
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("tiles"));
        PythonOracle.Run(MakeTiles, tmp.File("tiles"), shape, tile, "7");
        var args = new List<string> { "stitch", tmp.File("tiles"), tmp.File("final_result.tif"), "--original_shape" };
        args.AddRange(shape.Split(','));                               // FFN-PyTorch's nargs=3 form
        args.AddRange(["--tile-shape", tile, "--min-consecutive-pixels", m, flag]);
        if (value is not null) args.Add(value);
        var r = Cli.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Err);
        var got = PythonOracle.Run(Reference, tmp.File("tiles"), tmp.File("final_result.tif"), shape, tile, m, merge).Trim().Split(' ');
        Assert.Equal(["True", "uint32"], got[..2]);
        Assert.True(got[3] == "True", $"{got[4]} voxels differ; {r.Out}");
        Assert.Contains($"{got[2]} objects", r.Out);
    }

    [Fact]
    public void WritesHdf5Too()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("tiles"));
        PythonOracle.Run(MakeTiles, tmp.File("tiles"), "20,20,20", "10,10,10", "3");
        var r = Cli.Run("stitch", tmp.File("tiles"), tmp.File("o.tif"), "--original-shape", "20,20,20", "--tile-shape", "10,10,10",
            "--merge", "faces", "--min-consecutive-pixels", "3", "--h5", tmp.File("o.h5"));
        Assert.True(r.ExitCode == 0, r.Err);
        using var t = VolumeStore.OpenRead(tmp.File("o.tif"));
        using var h = VolumeStore.OpenRead(tmp.File("o.h5") + ":segmentation");
        Assert.True(t.Read(t.Info.Box).ContentEquals(h.Read(h.Info.Box)));
    }

    /// <summary>`ffn bench stitch` end to end on a small job: child ffn processes, FFN-PyTorch's algorithm, both volume sizes.</summary>
    [Fact]
    public void BenchRunsSmall()
    {
        using var tmp = new TempDir();
        var r = Cli.Run("bench", "stitch", "--tile-shape", "16,40,40", "--grid", "1,2,2", "--cell", "8,20,20", "--large-factor", "2",
            "--repeat", "1", "--min-consecutive-pixels", "5", "--work-dir", tmp.Path, "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out.Trim());
        var runs = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, runs.Count);
        Assert.Equal([16, 80, 80], runs[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([32, 80, 80], runs[1].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(2 * 16 * 80, runs[0].GetProperty("boundary_voxel_pairs").GetInt64());
        Assert.True(runs[0].GetProperty("pairs_merged").GetInt64() > 0);
        Assert.True(runs[0].GetProperty("peak_rss_bytes").GetInt64() > 0);
        Assert.True(runs[0].GetProperty("seed").GetProperty("total_s").GetDouble() > 0);
    }

    [Theory]
    [InlineData("missing-dir", "no such directory")]
    [InlineData("outside", "lies outside the volume")]
    [InlineData("off-grid", "is not on the")]
    [InlineData("duplicate", "overlaps seg_0_0_0.npy")]
    [InlineData("wrong-shape", "must be (10, 10, 10)")]
    [InlineData("no-tiles", "no seg_Z_Y_X")]
    [InlineData("bad-merge", "--merge overlap: expected none or faces")]
    [InlineData("no-shape", "--original-shape: a value")]
    public void BadInputIsOneLine(string kind, string message)
    {
        using var tmp = new TempDir();
        var dir = tmp.File("tiles");
        Directory.CreateDirectory(dir);
        var ok = new Volume<uint>(new(10, 10, 10));
        ok.Data.AsSpan().Fill(1);
        if (kind != "no-tiles") NpyFile.Write(Path.Combine(dir, "seg_0_0_0.npy"), ok);
        switch (kind)
        {
            case "outside": NpyFile.Write(Path.Combine(dir, "seg_20_0_0.npy"), ok); break;
            case "off-grid": NpyFile.Write(Path.Combine(dir, "seg_0_5_0.npy"), ok); break;
            case "duplicate": NpyFile.Write(Path.Combine(dir, "seg_0_0_0_model_x.npy"), ok); break;
            case "wrong-shape": NpyFile.Write(Path.Combine(dir, "seg_0_10_0.npy"), new Volume<uint>(new(10, 9, 10))); break;
        }
        var args = new List<string> { "stitch", kind == "missing-dir" ? tmp.File("nope") : dir, tmp.File("o.tif"), "--tile-shape", "10,10,10" };
        if (kind != "no-shape") args.AddRange(["--original-shape", "20", "20", "20"]);
        if (kind == "bad-merge") args.AddRange(["--merge", "overlap"]);
        var r = Cli.Run(args.ToArray());
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrLines, l => l.StartsWith("ffn", StringComparison.Ordinal));
        Assert.Contains(message, line);
        Assert.False(File.Exists(tmp.File("o.tif")));
    }

    /// <summary>
    /// A huge --original-shape with a few small tiles: one line at once, not a tile grid built in memory (it grew
    /// to 16 GB before). Run as a real process that is killed after a minute, so a regression fails, not the machine.
    /// </summary>
    [Theory]
    [InlineData("100000,100000,100000", "16,32,32", "the stitched uint32 volume would take 3.6 PiB")]
    [InlineData("1000,1000,1000", "4,4,4", "15,625,000 tile positions, more than the 4,000,000")]
    public void Huge_shapes_are_refused_before_anything_is_built(string shape, string tile, string message)
    {
        using var tmp = new TempDir();
        var dir = tmp.File("tiles");
        Directory.CreateDirectory(dir);
        var t = Flags(tile);
        var v = new Volume<uint>(new(t[0], t[1], t[2]));
        v.Data.AsSpan().Fill(7);
        NpyFile.Write(Path.Combine(dir, "seg_0_0_0.npy"), v);
        NpyFile.Write(Path.Combine(dir, $"seg_0_{t[1]}_0.npy"), v);
        using var p = new FfnProcess("stitch", "stitch", dir, tmp.File("o.tif"), "--original-shape", shape, "--tile-shape", tile);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "ffn stitch did not stop within a minute\n" + p.Log);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains(message, p.Log);
        Assert.False(File.Exists(tmp.File("o.tif")));
    }

    private static int[] Flags(string zyx) => [.. zyx.Split(',').Select(int.Parse)];
}
