using System.Globalization;
using System.Text.Json;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

public class EvalCommandTests
{
    /// <summary>Figures equal scikit-image's variation_of_information and adapted_rand_error to 1e-6.</summary>
    [Theory]
    [InlineData("random", "0:20,0:30,0:25")]
    [InlineData("split_merge", "")]
    [InlineData("identical", "")]
    [InlineData("big_ids", "3:17,0:30,5:25")]
    public void MatchesScikitImage(string kind, string crop)
    {
        using var tmp = new TempDir();
        var expected = PythonOracle.Run("""
import sys, json, numpy as np, h5py, tifffile
from skimage.metrics import variation_of_information, adapted_rand_error
d, kind, crop = sys.argv[1], sys.argv[2], sys.argv[3]
rng = np.random.default_rng(3)
shape = (20, 30, 25)
gt = np.zeros(shape, np.uint32)
# blocky ground truth with background
for i in range(40):
    z, y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1]), rng.integers(0, shape[2])
    gt[z:z+6, y:y+8, x:x+7] = i + 1
if kind == 'random':
    seg = rng.integers(0, 12, size=shape).astype(np.uint16)
elif kind == 'split_merge':
    seg = gt.astype(np.int64) // 3 * 3          # merges
    seg[:, :, 12:] += 1000                      # splits along x
elif kind == 'identical':
    seg = gt.copy()
else:
    seg = (gt.astype(np.uint64) * np.uint64(2**40 + 7)) % np.uint64(2**62) + (np.arange(gt.size).reshape(shape) % 3 == 0)
    gt = gt.astype(np.uint64) + np.uint64(2**33) * (gt > 0)
with h5py.File(d + '/seg.h5', 'w') as f:
    f.create_dataset('seg', data=seg, chunks=(4, 8, 8), compression='gzip')
if kind == 'identical':
    tifffile.imwrite(d + '/gt.tif', gt)
else:
    np.save(d + '/gt.npy', gt)
if crop:
    sl = tuple(slice(*map(int, p.split(':'))) for p in crop.split(','))
    seg, gt = seg[sl], gt[sl]
unlabelled = int(((gt != 0) & (seg == 0)).sum())
# scikit-image builds a dense-indexed sparse table: relabel to small ids (the metrics do not depend on ids; 0 stays 0).
gt = np.unique(gt, return_inverse=True)[1].reshape(gt.shape) + (0 if gt.min() == 0 else 1)
seg = np.unique(seg, return_inverse=True)[1].reshape(seg.shape)
split, merge = variation_of_information(gt, seg, ignore_labels=(0,))
are, prec, rec = adapted_rand_error(gt, seg)
print(json.dumps([split, merge, are, prec, rec, unlabelled]))
""", tmp.Path, kind, crop);
        var e = JsonSerializer.Deserialize<double[]>(expected)!;
        var gtPath = kind == "identical" ? tmp.File("gt.tif") : tmp.File("gt.npy");
        var args = new List<string> { "eval", tmp.File("seg.h5") + ":seg", gtPath, "--json", tmp.File("m.json"), "--slab-depth", "7" };
        if (crop.Length > 0) { args.Add("--crop"); args.Add(crop); }
        var r = Cli.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Err);
        var m = JsonDocument.Parse(File.ReadAllText(tmp.File("m.json"))).RootElement;
        double[] ours = [m.GetProperty("vi_split").GetDouble(), m.GetProperty("vi_merge").GetDouble(), m.GetProperty("adapted_rand_error").GetDouble(),
            m.GetProperty("rand_precision").GetDouble(), m.GetProperty("rand_recall").GetDouble()];
        for (int i = 0; i < 5; i++)
            Assert.True(Math.Abs(ours[i] - e[i]) <= 1e-6, $"{kind} figure {i}: ours {ours[i].ToString(CultureInfo.InvariantCulture)}, skimage {e[i].ToString(CultureInfo.InvariantCulture)}");
        Assert.Equal((long)e[5], m.GetProperty("unlabelled_voxels").GetInt64());
        if (kind == "identical") Assert.Equal(0, ours[0] + ours[1], 12);
        if (kind == "split_merge")
        {
            Assert.True(m.GetProperty("worst_splits").GetArrayLength() > 0);
            Assert.True(m.GetProperty("worst_merges")[0].GetProperty("bits").GetDouble() > 0);
        }
    }

    [Fact]
    public void BadEvalInputsExitTwo()
    {
        using var tmp = new TempDir();
        PythonOracle.Run("import sys, numpy as np; np.save(sys.argv[1] + '/a.npy', np.zeros((4,5,6), np.uint8)); np.save(sys.argv[1] + '/b.npy', np.zeros((4,5,7), np.uint8)); np.save(sys.argv[1] + '/f.npy', np.ones((4,5,6), np.float32)); n = np.ones((4,5,6), np.int32); n[2,3,4] = -1; np.save(sys.argv[1] + '/n.npy', n)", tmp.Path);
        foreach (var (args, expect) in new (string[], string)[]
        {
            (["eval", tmp.File("a.npy"), tmp.File("b.npy")], "shape"),
            (["eval", tmp.File("a.npy"), tmp.File("a.npy")], "no labelled"),
            (["eval", tmp.File("a.npy"), tmp.File("f.npy")], "f.npy: labels must have an integer dtype, found float32"),
            (["eval", tmp.File("n.npy"), tmp.File("a.npy")], "n.npy: negative label -1 at z,y,x 2,3,4"),
            (["eval", tmp.File("a.npy"), tmp.File("a.npy"), "--crop", "0:2,0:9,0:3"], "--crop"),
            (["eval", tmp.File("a.npy"), tmp.File("a.npy"), "--crop", "2:1,0:3,0:3"], "--crop"),
            (["eval", tmp.File("none.npy"), tmp.File("a.npy")], "none.npy"),
        })
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Err}");
            Assert.Contains(expect, r.ErrLines[^1]);
        }
    }
}
