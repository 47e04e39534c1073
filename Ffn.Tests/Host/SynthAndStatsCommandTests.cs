using System.Globalization;
using System.Text.Json;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

public class SynthAndStatsCommandTests
{
    [Fact]
    public void SynthWritesDatasetsThatH5pyReads()
    {
        using var tmp = new TempDir();
        var path = tmp.File("s.h5");
        var r = Cli.Run("synth", path, "--shape", "24,40,56", "--seed", "3", "--empty-slab");
        Assert.True(r.ExitCode == 0, r.Err);
        var py = PythonOracle.Run("""
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'r') as f:
    raw, lab = f['raw'][...], f['labels'][...]
    print(f['raw'].dtype, f['labels'].dtype, raw.shape, lab.shape, f['raw'].chunks is not None)
    print(int(raw[:6].max()), int(lab[:6].max()), len(np.unique(lab[lab > 0])), int(raw[6:].min() > 0))
""", path);
        var lines = py.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("uint8 uint32 (24, 40, 56) (24, 40, 56) True", lines[0].Trim());
        var nums = lines[1].Split(' ').Select(int.Parse).ToArray();
        Assert.Equal(0, nums[0]); // empty slab: z < 24/4
        Assert.Equal(0, nums[1]);
        Assert.True(nums[2] > 3);
        Assert.Equal(1, nums[3]);
        Assert.Empty(Directory.GetFiles(tmp.Path, "*tmp*"));
    }

    [Fact]
    public void StatsOfFib25EqualNumpy()
    {
        var h5 = TestData.SharedFile("data", "fib25", "training_sample1.h5");
        var r = Cli.Run("stats", h5, "raw", "--json", "--block-shape", "17,250,250");
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        double mean = doc.RootElement.GetProperty("mean").GetDouble(), std = doc.RootElement.GetProperty("stddev").GetDouble();
        var py = PythonOracle.Run("""
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], 'r')['raw'][...]
print(repr(float(np.mean(a, dtype=np.float64))), repr(float(np.std(a, dtype=np.float64))))
""", h5).Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(Math.Abs(mean - py[0]) <= 1e-9 * py[0], $"mean {mean} vs numpy {py[0]}");
        Assert.True(Math.Abs(std - py[1]) <= 1e-9 * py[1], $"std {std} vs numpy {py[1]}");

        // The colon form gives the same answer.
        var colon = Cli.Run("stats", h5 + ":raw", "--json");
        Assert.Equal(mean, JsonDocument.Parse(colon.Out).RootElement.GetProperty("mean").GetDouble());
    }

    [Theory]
    [InlineData("f4")]
    [InlineData("u2")]
    [InlineData("i8")]
    public void StatsOfOtherDtypesEqualNumpy(string dt)
    {
        using var tmp = new TempDir();
        var path = tmp.File("v.h5");
        var expected = PythonOracle.Run("""
import sys, h5py, numpy as np
rng = np.random.default_rng(1)
a = (rng.standard_normal((30, 41, 23)) * 300 + 1000).astype(sys.argv[2])
with h5py.File(sys.argv[1], 'w') as f:
    f.create_dataset('grp/img', data=a, chunks=(8, 8, 8), compression='gzip')
print(repr(float(np.mean(a, dtype=np.float64))), repr(float(np.std(a, dtype=np.float64))))
""", path, dt).Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var r = Cli.Run("stats", path + ":/grp/img", "--json", "--block-shape", "7,41,23");
        Assert.True(r.ExitCode == 0, r.Err);
        var root = JsonDocument.Parse(r.Out).RootElement;
        Assert.True(Math.Abs(root.GetProperty("mean").GetDouble() - expected[0]) <= 1e-9 * Math.Abs(expected[0]));
        Assert.True(Math.Abs(root.GetProperty("stddev").GetDouble() - expected[1]) <= 1e-9 * expected[1]);
    }

    /// <summary>
    /// One NaN or Inf voxel made the statistics NaN (and `--image-mean NaN` the advice), exit 0. The first non-finite
    /// voxel in z,y,x order is named even when a later block in the read order holds an earlier one.
    /// </summary>
    [Theory]
    [InlineData("f4")]
    [InlineData("f8")]
    public void StatsRefusesNonFiniteVoxelsNamingTheFirst(string dt)
    {
        using var tmp = new TempDir();
        var path = tmp.File("v.h5");
        PythonOracle.Run("""
import sys, h5py, numpy as np
a = np.full((8, 20, 10), 100, sys.argv[2])
a[5, 2, 3] = -np.inf   # first block (y 0..9) in read order
a[1, 15, 0] = np.nan   # second block, but first in z,y,x order
with h5py.File(sys.argv[1], 'w') as f:
    f['raw'] = a
""", path, dt);
        var r = Cli.Run("stats", path, "raw", "--block-shape", "8,10,10");
        Assert.True(r.ExitCode == 2, r.Out + r.Err);
        var error = r.ErrLines.Single(l => l.StartsWith("ffn: error:", StringComparison.Ordinal));
        Assert.Contains($"{path}:raw: voxel (z,y,x) 1,15,0 is NaN (2 non-finite voxels in all)", error);
        Assert.DoesNotContain("--image-mean", r.Out);
    }

    [Fact]
    public void BadInputGivesOneLineExitTwoAndNoStackTrace()
    {
        using var tmp = new TempDir();
        var h5 = tmp.File("bad.h5");
        PythonOracle.Run("""
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    f['flat'] = np.zeros((4, 5), np.uint8)
    f['cplx'] = np.zeros((2, 3, 4), np.complex64)
    f['ok'] = np.zeros((2, 3, 4), np.uint8)
""", h5);
        File.WriteAllText(tmp.File("afile"), "");
        var cases = new (string[] Args, string Expect)[]
        {
            (["stats", tmp.File("missing.h5"), "raw"], "missing.h5"),
            (["stats", h5, "nope"], "nope"),
            (["stats", h5, "flat"], "flat"),
            (["stats", h5, "cplx"], "cplx"),
            (["stats", h5 + ":ok", "--block-shape", "1,x,2"], "--block-shape"),
            (["synth", tmp.File("x.h5"), "--shape", "0,4,4"], "--shape"),
            (["synth", tmp.File("afile/x.h5")], "afile is a file, not a directory"),
            (["synth", tmp.File("x.h5"), "--seed", "abc"], "abc"),
        };
        foreach (var (args, expect) in cases)
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Err}");
            Assert.Contains(expect, r.ErrLines[0]);
            Assert.DoesNotContain("   at ", r.Err);
        }
        Assert.False(File.Exists(tmp.File("x.h5")));
    }

    [Fact]
    public void RealProcessReportsExitCodesAndHelp()
    {
        var help = Cli.RunProcess("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("synth", help.Out);
        Assert.Contains("stats", help.Out);

        var synthHelp = Cli.RunProcess("synth", "--help");
        Assert.Contains("--empty-slab", synthHelp.Out);

        var bad = Cli.RunProcess("stats", "/nonexistent/file.h5", "raw");
        Assert.Equal(2, bad.ExitCode);
        Assert.Single(bad.ErrLines);
        Assert.Contains("/nonexistent/file.h5", bad.Err);

        var unknown = Cli.RunProcess("frobnicate");
        Assert.Equal(2, unknown.ExitCode);
    }
}
