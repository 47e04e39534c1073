using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// Commands read zarr inputs (written by zarr-python, blosc or zstd, with chunks missing where the data is the fill
/// value) exactly as they read the same data from HDF5: `ffn run` writes the same segmentation, `ffn partition`
/// the same partition map, `ffn eval` the same scores.
/// </summary>
public class ZarrInputTests
{
    /// <summary>vol.h5 (raw, labels) and the same two arrays as vol.zarr/raw (blosc-lz4) and vol.zarr/labels (zstd, fill-only chunks not written).</summary>
    private static string Setup(TempDir tmp)
    {
        var h5 = tmp.File("vol.h5");
        Assert.Equal(0, Cli.Run("synth", h5, "--shape", "32,40,44", "--seed", "4", "--empty-slab").ExitCode);
        var outp = PythonOracle.Run("""
            import sys, os, h5py, zarr
            from numcodecs import Blosc, Zstd
            f = h5py.File(sys.argv[1], 'r')
            g = zarr.open_group(sys.argv[2], mode='w')
            g.create_dataset('raw', data=f['raw'][...], chunks=(8, 16, 16), compressor=Blosc(cname='lz4', clevel=5, shuffle=Blosc.BITSHUFFLE))
            g.create_dataset('labels', data=f['labels'][...], chunks=(8, 16, 16), compressor=Zstd(level=3), write_empty_chunks=False, fill_value=0)
            print(len(os.listdir(sys.argv[2] + '/labels')) - 2, len(os.listdir(sys.argv[2] + '/raw')) - 2)
            """, h5, tmp.File("vol.zarr")).Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(outp[0] < outp[1], $"some label chunks should be missing (the empty slab): {outp[0]} of {outp[1]} written");
        return h5;
    }

    [Fact]
    public void Run_partition_and_eval_read_zarr_as_they_read_hdf5()
    {
        using var tmp = new TempDir();
        var h5 = Setup(tmp);
        var zarr = tmp.File("vol.zarr");
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        string[] RunArgs(string input, string outDir) =>
            ["run", "--input", input, "--model", model, "--output", outDir, "--block-shape", "16,20,20", "--min-seg-size", "20",
             "--workers", "2", "--threads", "1", "--merge", "faces", "--report", "false", "--outputs", "h5"];
        var a = Cli.Run(RunArgs(h5 + ":raw", tmp.File("from-h5")));
        Assert.True(a.ExitCode == 0, a.Err);
        var b = Cli.Run(RunArgs(zarr + ":raw", tmp.File("from-zarr")));
        Assert.True(b.ExitCode == 0, b.Err);

        string[] PartitionArgs(string input, string output) =>
            ["partition", "--input-volume", input, "--output-volume", output, "--lom-radius", "3,3,2", "--min-size", "50"];
        Assert.Equal(0, Cli.Run(PartitionArgs(h5 + ":labels", tmp.File("p-h5.h5:partition"))).ExitCode);
        var p = Cli.Run(PartitionArgs(zarr + "/labels", tmp.File("p-zarr.h5:partition")));
        Assert.True(p.ExitCode == 0, p.Err);

        var outp = PythonOracle.Run("""
            import sys, numpy as np, h5py
            d = sys.argv[1]
            a = h5py.File(d + '/from-h5/final_result.h5', 'r')['segmentation'][...]
            b = h5py.File(d + '/from-zarr/final_result.h5', 'r')['segmentation'][...]
            assert np.array_equal(a, b) and len(np.unique(a)) > 2
            pa = h5py.File(d + '/p-h5.h5', 'r')['partition'][...]
            pb = h5py.File(d + '/p-zarr.h5', 'r')['partition'][...]
            assert np.array_equal(pa, pb) and pa.max() > 0
            print('ok')
            """, tmp.Path);
        Assert.Equal("ok", outp.Trim());

        var e1 = Cli.Run("eval", Path.Combine(tmp.File("from-h5"), "final_result.h5:segmentation"), h5 + ":labels");
        var e2 = Cli.Run("eval", zarr + ":raw", h5 + ":labels"); // a different volume: the scores must differ
        var e3 = Cli.Run("eval", Path.Combine(tmp.File("from-h5"), "final_result.h5:segmentation"), zarr + ":labels");
        Assert.True(e1.ExitCode == 0 && e3.ExitCode == 0, e1.Err + e3.Err);
        Assert.Equal(e1.Out, e3.Out);
        Assert.NotEqual(e1.Out, e2.Out);
    }

    [Fact]
    public void A_group_where_an_array_is_expected_is_one_line()
    {
        using var tmp = new TempDir();
        Setup(tmp);
        var r = Cli.Run("stats", tmp.File("vol.zarr"));
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.ErrLines);
        Assert.Contains("vol.zarr", r.Err);
        Assert.Contains("raw", r.Err); // names the arrays the group holds
    }
}
