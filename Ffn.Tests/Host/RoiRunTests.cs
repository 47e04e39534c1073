using System.Text.Json.Nodes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn run --roi`: a region aligned with the block grid gives exactly the blocks a whole-volume run gives there
/// (each block reads its context from the input around the region), its outputs cover the region with the region
/// recorded in run.json and placed by the OME-Zarr translation, and the report draws the region's own EM.
/// </summary>
public class RoiRunTests
{
    private static string[] RunArgs(string input, string model, string outDir, params string[] extra) =>
        ["run", "--input", input + ":raw", "--model", model, "--output", outDir, "--block-shape", "16,20,20", "--min-seg-size", "20",
         "--workers", "2", "--threads", "1", "--merge", "none", "--voxel-size", "8,6,6", "--zarr-chunks", "8,16,16", .. extra];

    [Fact]
    public void A_region_run_equals_the_whole_run_there_and_its_outputs_sit_at_the_region()
    {
        using var tmp = new TempDir();
        var input = tmp.File("vol.h5");
        Assert.Equal(0, Cli.Run("synth", input, "--shape", "32,60,44", "--seed", "3").ExitCode);
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        var whole = tmp.File("whole");
        var part = tmp.File("part");
        var r = Cli.Run(RunArgs(input, model, whole, "--report", "false"));
        Assert.True(r.ExitCode == 0, r.Err);
        // Region z 16:32, y 20:60, x 0:44: blocks 1x2x3 of the whole run's 2x3x3 grid.
        r = Cli.Run(RunArgs(input, model, part, "--roi", "16:,20:60,:"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("region 16:32,20:60,0:44 in 6 block(s)", r.Err + r.Out);

        var partBlocks = Directory.GetFiles(Path.Combine(part, "blocks"), "seg_*.npz").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["seg_16_20_0.npz", "seg_16_20_20.npz", "seg_16_20_40.npz", "seg_16_40_0.npz", "seg_16_40_20.npz", "seg_16_40_40.npz"], partBlocks);
        foreach (var name in partBlocks)
        {
            // Same read box, same image, same network: the same labels over the whole read box, context included.
            var a = NpzFile.Read(Path.Combine(whole, "blocks", name!), "segmentation");
            var b = NpzFile.Read(Path.Combine(part, "blocks", name!), "segmentation");
            Assert.Equal(a.Shape, b.Shape);
            Assert.Equal(a.Get<uint>(), b.Get<uint>());
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(part, "run.json")))!;
        Assert.Equal("16:32,20:60,0:44", (string)manifest["roi_zyx"]!);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "run.json")))!["roi_zyx"]);

        var outp = PythonOracle.Run("""
            import sys, numpy as np, h5py, zarr
            whole, part, raw = sys.argv[1:4]
            w = h5py.File(whole + '/final_result.h5', 'r')['segmentation'][16:32, 20:60, :]
            p = h5py.File(part + '/final_result.h5', 'r')['segmentation'][...]
            assert p.shape == (16, 40, 44), p.shape
            # The same objects (ids may differ): a one-to-one map between the two labellings.
            pairs = np.unique(np.stack([w.ravel(), p.ravel()]), axis=1)
            assert len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1], pairs.shape
            assert ((pairs[0] == 0) == (pairs[1] == 0)).all()
            assert len(np.unique(p)) >= 3, np.unique(p)   # objects, not an empty region
            root = zarr.open_group(part + '/final_result.zarr', mode='r')
            assert np.array_equal(root['labels/segmentation/0'][...], p)
            assert np.array_equal(root['0'][...], h5py.File(raw, 'r')['raw'][16:32, 20:60, :])
            for group in (root, root['labels/segmentation']):
                d = group.attrs['multiscales'][0]['datasets']
                assert d[0]['coordinateTransformations'][1] == {'type': 'translation', 'translation': [128.0, 120.0, 0.0]}, d[0]
                assert d[1]['coordinateTransformations'][1]['translation'] == [132.0, 123.0, 3.0], d[1]
            print('ok')
            """, whole, part, input);
        Assert.Equal("ok", outp.Trim());

        // The report crops the run's input to the region: the slices are drawn on EM, not on black.
        var html = File.ReadAllText(Path.Combine(part, "report.html"));
        Assert.Contains("region of interest", html);
        Assert.DoesNotContain("drawn on black", html);
    }

    [Theory]
    [InlineData("0:32,0:60", "--roi 0:32,0:60: give three ranges Z0:Z1,Y0:Y1,X0:X1")]
    [InlineData("0:32,50:70,:", "--roi 0:32,50:70,:: y range 50:70 is empty or outside the volume's 0:60 (shape 32,60,44)")]
    public void A_bad_region_is_one_line_and_nothing_is_written(string roi, string message)
    {
        using var tmp = new TempDir();
        var input = tmp.File("vol.h5");
        Assert.Equal(0, Cli.Run("synth", input, "--shape", "32,60,44", "--seed", "3").ExitCode);
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        var r = Cli.Run(RunArgs(input, model, tmp.File("out"), "--roi", roi));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"ffn: error: {message}", r.Err.Trim());
        Assert.False(Directory.Exists(tmp.File("out")));
    }
}
