using System.Security.Cryptography;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn run`'s final_result.zarr against zarr-python and the OME-NGFF 0.4 rules: level 0 equals final_result.h5 and
/// the input, every level follows its downsampling rule (computed in NumPy), and a rerun over a damaged store or an
/// `ffn export` of the same run gives the same files.
/// </summary>
public class OmeZarrOutputTests
{
    private static string[] RunArgs(string input, string model, string outDir, params string[] extra) =>
        ["run", "--input", input + ":raw", "--model", model, "--output", outDir, "--block-shape", "16,20,20", "--min-seg-size", "20",
         "--workers", "2", "--threads", "1", "--merge", "faces", "--min-consecutive-pixels", "3", "--voxel-size", "8,6,6",
         "--zarr-chunks", "8,16,16", "--report", "false", .. extra];

    private static (string Input, string Model) Setup(TempDir tmp)
    {
        var input = tmp.File("vol.h5");
        Assert.Equal(0, Cli.Run("synth", input, "--shape", "32,40,44", "--seed", "2", "--empty-slab").ExitCode);
        return (input, TestModels.BrightObjects(tmp.File("bright.pkl")));
    }

    /// <summary>Every file of a store (metadata and chunks) by relative path, with its SHA-256.</summary>
    private static SortedDictionary<string, string> Tree(string dir) =>
        new(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    [Fact]
    public void The_store_is_valid_ome_zarr_and_equals_the_h5_and_the_input_at_every_level()
    {
        using var tmp = new TempDir();
        var (input, model) = Setup(tmp);
        var outDir = tmp.File("run");
        var r = Cli.Run(RunArgs(input, model, outDir));
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        var outp = PythonOracle.Run("""
            import sys, json, numpy as np, zarr, h5py
            store, h5, raw = sys.argv[1], sys.argv[2], sys.argv[3]
            root = zarr.open_group(store, mode='r')
            def check_multiscale(group, name, voxel=(8, 6, 6)):
                ms = group.attrs['multiscales']
                assert isinstance(ms, list) and len(ms) == 1, ms
                m = ms[0]
                assert m['version'] == '0.4' and m['name'] == name, m
                assert [a['name'] for a in m['axes']] == ['z', 'y', 'x'] and all(a['type'] == 'space' for a in m['axes']), m['axes']
                assert all(a.get('unit') == 'nanometer' for a in m['axes'])
                arrays = []
                for level, d in enumerate(m['datasets']):
                    t = d['coordinateTransformations']
                    assert t[0]['type'] == 'scale' and len(t[0]['scale']) == 3, t
                    assert t[0]['scale'] == [v * 2 ** level for v in voxel], (level, t[0]['scale'])
                    assert all(tt['type'] in ('scale', 'translation') and len(tt.get(tt['type'])) == 3 for tt in t), t
                    arrays.append(group[d['path']])
                return arrays
            em = check_multiscale(root, 'raw')
            labels = root['labels']
            assert labels.attrs['labels'] == ['segmentation'], dict(labels.attrs)
            seg_group = labels['segmentation']
            assert seg_group.attrs['image-label']['version'] == '0.4'
            seg = check_multiscale(seg_group, 'segmentation')
            assert len(em) == len(seg) >= 2, (len(em), len(seg))
            expected_seg = h5py.File(h5, 'r')['segmentation'][...]
            expected_em = h5py.File(raw, 'r')['raw'][...]
            assert seg[0].dtype == np.uint32 and np.array_equal(seg[0][...], expected_seg)
            assert em[0].dtype == np.uint8 and np.array_equal(em[0][...], expected_em)
            def cells(a):
                p = np.pad(a, [(0, s % 2) for s in a.shape])
                z, y, x = p.shape
                c = p.reshape(z // 2, 2, y // 2, 2, x // 2, 2).transpose(0, 2, 4, 1, 3, 5).reshape(z // 2, y // 2, x // 2, 8)
                n = np.ones(a.shape, np.int64)
                n = np.pad(n, [(0, s % 2) for s in a.shape]).reshape(z // 2, 2, y // 2, 2, x // 2, 2).sum(axis=(1, 3, 5))
                return c, n
            for level in range(1, len(seg)):
                c, n = cells(seg[level - 1][...])
                first = np.zeros(c.shape[:3], np.uint32)
                for k in range(7, -1, -1):   # the first non-zero in z, y, x order wins
                    v = c[..., k]
                    first = np.where(v != 0, v, first)
                assert np.array_equal(seg[level][...], first), level
                c, n = cells(em[level - 1][...].astype(np.float64))
                mean = np.round(c.sum(axis=3) / n).astype(np.uint8)   # NumPy rounds half to even, as ffn does
                assert np.array_equal(em[level][...], mean), level
            print('ok', len(seg), [a.shape for a in seg])
            """, Path.Combine(outDir, "final_result.zarr"), Path.Combine(outDir, "final_result.h5"), input);
        Assert.StartsWith("ok", outp.Trim());
    }

    [Fact]
    public void A_rerun_over_a_damaged_store_and_an_export_give_the_same_files()
    {
        using var tmp = new TempDir();
        var (input, model) = Setup(tmp);
        var clean = tmp.File("clean");
        Assert.Equal(0, Cli.Run(RunArgs(input, model, clean)).ExitCode);
        var expected = Tree(Path.Combine(clean, "final_result.zarr"));

        // As a run killed while writing the store leaves it: chunks missing, a stale one, metadata gone.
        var damaged = tmp.File("damaged");
        Assert.Equal(0, Cli.Run(RunArgs(input, model, damaged)).ExitCode);
        var store = Path.Combine(damaged, "final_result.zarr");
        foreach (var f in Directory.GetFiles(store, "*", SearchOption.AllDirectories).Where((_, i) => i % 3 == 0)) File.Delete(f);
        // Chunk (0,0,0) lies in the empty slab, so the finished store has no such file: a stale one must go.
        Directory.CreateDirectory(Path.Combine(store, "labels", "segmentation", "0", "0", "0"));
        File.WriteAllBytes(Path.Combine(store, "labels", "segmentation", "0", "0", "0", "0"), [1, 2, 3]);
        Assert.DoesNotContain(Path.Combine("labels", "segmentation", "0", "0", "0", "0"), expected.Keys);
        var rerun = Cli.Run(RunArgs(input, model, damaged));
        Assert.True(rerun.ExitCode == 0, rerun.Err);
        Assert.Contains("0 done", rerun.Out); // every block was reused; only the outputs were written again
        Assert.Equal(expected, Tree(store));

        // A run without the zarr output, exported afterwards.
        var later = tmp.File("later");
        Assert.Equal(0, Cli.Run(RunArgs(input, model, later, "--outputs", "h5,tif")).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(later, "final_result.zarr")));
        var export = Cli.Run("export", later, "--to", "zarr", "--zarr-chunks", "8,16,16");
        Assert.True(export.ExitCode == 0, export.Err);
        Assert.Equal(expected, Tree(Path.Combine(later, "final_result.zarr")));
    }

    [Theory]
    [InlineData("--outputs", "h5,png", "--outputs h5,png: 'png' is not one of h5, tif, zarr")]
    [InlineData("--zarr-compressor", "lz5", "zarr compressor lz5: ffn writes none, zstd, gzip or zlib")]
    public void Bad_output_flags_are_one_line_before_anything_is_written(string flag, string value, string message)
    {
        using var tmp = new TempDir();
        var (input, model) = Setup(tmp);
        var r = Cli.Run(RunArgs(input, model, tmp.File("out"), flag, value));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Err);
        Assert.False(Directory.Exists(tmp.File("out")));
    }
}
