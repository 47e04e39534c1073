using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>`ffn partition`, `ffn build-coordinates` and `ffn bench partition` end to end, checked with h5py/NumPy.</summary>
public class PartitionCommandTests
{
    private static readonly string Vectors = Path.Combine(TestData.Shared, "testvectors");
    private static readonly string Input = Path.Combine(Vectors, "partition_input.h5");

    [Theory]
    [InlineData("24,24,24", "100", "r24x24x24_min100", true)]
    [InlineData("12,8,4", "50", "r12x8x4_min50", false)]
    [InlineData("0,6,10", "0", "r0x6x10_min0", true)]
    public void OutputIsBitIdenticalToGoogleAsH5pyReadsIt(string radiusXyz, string minSize, string name, bool snakeCase)
    {
        using var tmp = new TempDir();
        var output = tmp.File("out.h5");
        var r = snakeCase
            ? Cli.Run("partition", "--input_volume", Input + ":labels", "--output_volume", output + ":partitions", "--lom_radius", radiusXyz, "--min_size", minSize)
            : Cli.Run("partition", "--input-volume", Input + ":labels", "--output-volume", output + ":/partitions", "--lom-radius", radiusXyz, "--min-size", minSize);
        Assert.True(r.ExitCode == 0, r.Err);
        var py = PythonOracle.Run("""
import sys, h5py, numpy as np
rx, ry, rz = [int(v) for v in sys.argv[3].split(',')]
with h5py.File(sys.argv[1], 'r') as f, h5py.File(sys.argv[2], 'r') as g:
    ours, exp = f['partitions'], g['partitions'][...]
    a = ours[...]
    print(ours.dtype, ours.shape, np.array_equal(a, exp))
    bb, pc = ours.attrs['bounding_boxes'], ours.attrs['partition_counts']
    valid = a[rz:a.shape[0] - rz, ry:a.shape[1] - ry, rx:a.shape[2] - rx]
    print(bb.dtype, bb.shape, bb.tolist() == [[[rx, ry, rz], [112 - 2 * rx, 96 - 2 * ry, 80 - 2 * rz]]])
    print(pc.dtype, pc.shape[0], np.array_equal(pc, np.array(np.unique(valid, return_counts=True))))
""", output, Path.Combine(Vectors, $"partition_expected_{name}.h5"), radiusXyz);
        var lines = py.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
        Assert.Equal("uint8 (80, 96, 112) True", lines[0]);
        Assert.Equal("int64 (1, 2, 3) True", lines[1]);
        Assert.Equal("int64 2 True", lines[2]);
        Assert.Contains("wrote", r.Out);
        Assert.Empty(Directory.GetFiles(tmp.Path, "*tmp*"));
    }

    [Fact]
    public void XyzFlagsWhitelistExclusionAndMaskMatchNumpy()
    {
        using var tmp = new TempDir();
        var path = tmp.File("case.h5");
        // Anisotropic radius and off-centre spheres: an x,y,z mix-up changes the result.
        PartitionOracle.MakeCase(path, "uint32", "4,8,15,16,23,42,108,815,4815", 5, "3,1,2", 200, "8,16,23,42,815", "6,20,9,5,25,4,12,3.5", true, "20,24,30");
        var output = tmp.File("p.h5");
        var r = Cli.Run("partition", "--input-volume", path + ":labels", "--output-volume", output + ":p", "--lom-radius", "3,1,2",
            "--min-size", "200", "--id_whitelist", "8,16,23,42,815", "--exclusion_regions", "6,20,9,5,25,4,12,3.5", "--mask", path + ":mask");
        Assert.True(r.ExitCode == 0, r.Err);
        var py = PythonOracle.Run("""
import sys, h5py, numpy as np
ours = h5py.File(sys.argv[1], 'r')['p'][...]
exp = h5py.File(sys.argv[2], 'r')['expected'][...]
print(np.array_equal(ours, exp), int((ours != exp).sum()), len(np.unique(exp)), int((exp[3:-3, 1:-1, 2:-2] == 255).sum()))
""", output, path).Trim().Split(' ');
        Assert.True(py[0] == "True", $"{py[1]} voxels differ from the NumPy oracle");
        Assert.True(int.Parse(py[2]) >= 5 && int.Parse(py[3]) > 0, string.Join(' ', py));
    }

    [Fact]
    public void InputBoundingBoxesAreShrunkByTheRadius()
    {
        using var tmp = new TempDir();
        var input = tmp.File("in.h5");
        PythonOracle.Run("""
import sys, h5py, numpy as np
lab = np.zeros((20, 24, 28), np.uint16)
lab[2:18, 3:20, 4:25] = 7
with h5py.File(sys.argv[1], 'w') as f:
    d = f.create_dataset('seg', data=lab)
    d.attrs['bounding_boxes'] = np.array([[[0, 0, 0], [28, 24, 20]], [[5, 5, 5], [2, 9, 9]]])
    d.attrs['bounding_boxes_more'] = np.array([[[1, 2, 3], [10, 10, 10]]], np.int32)
""", input);
        var output = tmp.File("out.h5");
        var r = Cli.Run("partition", "--input-volume", input + ":seg", "--output-volume", output + ":p", "--lom-radius", "2,1,3", "--min-size", "10");
        Assert.True(r.ExitCode == 0, r.Err);
        var bb = PythonOracle.Run("""
import sys, h5py
print(h5py.File(sys.argv[1], 'r')['p'].attrs['bounding_boxes'].tolist())
""", output).Trim();
        // google/ffn's adjust_bboxes: start + r, size - 2r (x,y,z); the (2,9,9) box vanishes for x.
        Assert.Equal("[[[2, 1, 3], [24, 22, 14]], [[3, 3, 6], [6, 8, 4]]]", bb);
    }

    [Fact]
    public void BadPartitionInputsExitTwoWithOneLineAndNoOutput()
    {
        using var tmp = new TempDir();
        using var other = new TempDir();
        File.WriteAllText(other.File("afile"), "");
        var bad = tmp.File("bad.h5");
        PythonOracle.Run("""
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    f['float'] = np.ones((10, 10, 10), np.float32)
    f['empty'] = np.zeros((10, 10, 10), np.uint32)
    f['ok'] = np.arange(1000, dtype=np.uint32).reshape(10, 10, 10) // 100
    f['mask'] = np.zeros((10, 10, 11), np.uint8)
""", bad);
        var output = tmp.File("out.h5");
        string[] Args(string dataset, params string[] more) =>
            WithDefaults(["partition", "--input-volume", bad + ":" + dataset, "--output-volume", output + ":p"], more, ("--lom-radius", "1,1,1"), ("--min-size", "1"));
        var cases = new (string[] Args, string Expect)[]
        {
            (Args("nope"), "nope"),
            (["partition", "--input-volume", tmp.File("missing.h5") + ":x", "--output-volume", output + ":p"], "missing.h5"),
            (Args("float"), "float32"),
            (Args("empty"), "no labelled voxels"),
            (Args("ok", "--lom-radius", "5,1,1"), "bad.h5"),
            (Args("ok", "--thresholds", "0.5,0.2"), "--thresholds"),
            (Args("ok", "--thresholds", "0,0.5"), "--thresholds"),
            (Args("ok", "--thresholds", "0.5,1.5"), "--thresholds"),
            (Args("ok", "--thresholds", "a,b"), "--thresholds"),
            (Args("ok", "--lom-radius", "1,1"), "--lom-radius"),
            (Args("ok", "--lom-radius", "-1,1,1"), "--lom-radius"),
            (Args("ok", "--min-size", "-5"), "--min-size"),
            (Args("ok", "--id-whitelist", "3,x"), "--id-whitelist"),
            (Args("ok", "--exclusion-regions", "1,2,3"), "--exclusion-regions"),
            (Args("ok", "--exclusion-regions", "1,2,3,-4"), "--exclusion-regions"),
            (Args("ok", "--mask", bad + ":mask"), "mask"),
            (["partition", "--output-volume", output + ":p"], "--input-volume"),
            (["partition", "--input-volume", bad + ":ok"], "--output-volume"),
            (["partition", "--input-volume", bad + ":ok", "--output-volume", tmp.File("out.npy")], "--output-volume"),
            (["partition", "--input-volume", bad + ":ok", "--output-volume", bad + ":p"], "--output-volume"),
            (["partition", "--input-volume", bad + ":ok", "--output-volume", other.File("afile/dir.h5") + ":p"], "afile is a file, not a directory"),
        };
        AssertUsageErrors(cases);
        Assert.Equal([bad], Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void BuildCoordinatesWritesWhatNumpyLoads()
    {
        using var tmp = new TempDir();
        var a = Path.Combine(Vectors, "partition_expected_r12x8x4_min50.h5");
        var b = Path.Combine(Vectors, "partition_expected_r0x6x10_min0.h5");
        var one = tmp.File("one.npy");
        var r = Cli.Run("build-coordinates", "--partition_volumes", $"vol:{a}:partitions", "--coordinate_output", one, "--margin", "5,9,13", "--seed", "4");
        Assert.True(r.ExitCode == 0, r.Err);
        var two = tmp.File("two.npy");
        r = Cli.Run("build-coordinates", "--partition-volumes", $"left:{a}:partitions,right:{b}:partitions", "--coordinate-output", two, "--margin", "2,3,4");
        Assert.True(r.ExitCode == 0, r.Err);
        var py = PythonOracle.Run("""
import sys, json, h5py, numpy as np
vols = [h5py.File(p, 'r')['partitions'][...] for p in sys.argv[1:3]]
def check(path, margin_zyx, names):
    c = np.load(path)
    idx = np.load(path[:-4] + '.volumes.npy') if names else np.zeros(len(c), np.int32)
    if names:
        assert json.load(open(path[:-4] + '.volumes.json')) == names
        assert idx.dtype == np.int32 and idx.shape == (len(c),)
    values = np.empty(len(c), np.int64)
    for v in range(len(vols) if names else 1):
        sel = idx == v
        x, y, z = c[sel, 0], c[sel, 1], c[sel, 2]
        mz, my, mx = margin_zyx
        Z, Y, X = vols[v].shape
        assert x.min() >= mx and y.min() >= my and z.min() >= mz and x.max() < X - mx and y.max() < Y - my and z.max() < Z - mz
        values[sel] = vols[v][z, y, x]
    u, n = np.unique(values, return_counts=True)
    print(c.dtype, c.ndim, c.shape[1], 255 in u, len(u), n.min() == n.max())
check(sys.argv[3], (5, 9, 13), None)
check(sys.argv[4], (2, 3, 4), ['left', 'right'])
""", a, b, one, two);
        var lines = py.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
        Assert.Equal("int64 2 3 False 14 True", lines[0]);
        Assert.Equal("int64 2 3 False 14 True", lines[1]);
        Assert.Contains("two.volumes.npy", r.Out);
    }

    [Fact]
    public void BadBuildCoordinatesInputsExitTwoWithOneLineAndNoOutput()
    {
        using var tmp = new TempDir();
        using var other = new TempDir();
        File.WriteAllText(other.File("afile"), "");
        var h5 = tmp.File("p.h5");
        PythonOracle.Run("""
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    f['excluded'] = np.full((12, 12, 12), 255, np.uint8)
    f['float'] = np.zeros((12, 12, 12), np.float64)
    f['ok'] = np.ones((12, 12, 12), np.uint8)
""", h5);
        var output = tmp.File("c.npy");
        string[] Args(string volumes, params string[] more) =>
            WithDefaults(["build-coordinates", "--partition-volumes", volumes, "--coordinate-output", output], more, ("--margin", "2,2,2"));
        var cases = new (string[] Args, string Expect)[]
        {
            (Args($"a:{h5}:excluded"), "p.h5"),
            (Args($"a:{h5}:float"), "float64"),
            (Args($"a:{h5}:nope"), "nope"),
            (Args($"a:{tmp.File("none.h5")}:ok"), "none.h5"),
            (Args($"{h5}:ok"), "--partition-volumes"),
            (Args($"a:{h5}:ok,a:{h5}:ok"), "'a'"),
            (Args($"a:{h5}:ok", "--margin", "6,0,0"), "margin"),
            (Args($"a:{h5}:ok", "--margin", "1,-1,1"), "--margin"),
            (Args($"a:{h5}:ok", "--margin", "1,x,1"), "--margin"),
            (Args($"a:{h5}:ok", "--seed", "many"), "many"),
            (["build-coordinates", "--coordinate-output", output], "--partition-volumes"),
            (["build-coordinates", "--partition-volumes", $"a:{h5}:ok"], "--coordinate-output"),
            (["build-coordinates", "--partition-volumes", $"a:{h5}:ok", "--coordinate-output", tmp.File("c.txt")], "--coordinate-output"),
            (["build-coordinates", "--partition-volumes", $"a:{h5}:ok", "--coordinate-output", other.File("afile/c.npy")], "afile is a file, not a directory"),
        };
        AssertUsageErrors(cases);
        Assert.Equal([h5], Directory.GetFiles(tmp.Path));
    }

    /// <summary>Each case exits 2 with one error line that contains the expected text (a file or flag name).</summary>
    private static void AssertUsageErrors((string[] Args, string Expect)[] cases)
    {
        foreach (var (args, expect) in cases)
        {
            var r = Cli.Run(args);
            var what = $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Err}";
            Assert.True(r.ExitCode == 2, what);
            // One line; System.CommandLine's own parse errors add the standard "Run '... --help'" hint.
            Assert.True(r.ErrLines.Count(l => !l.StartsWith("Run '", StringComparison.Ordinal)) == 1, what);
            Assert.Contains(expect, r.ErrLines[0]);
        }
    }

    /// <summary>The command, then <paramref name="more"/> flag/value pairs, then the defaults they do not give.</summary>
    private static string[] WithDefaults(string[] command, string[] more, params (string Flag, string Value)[] defaults) =>
        [.. command, .. more, .. defaults.Where(d => !more.Contains(d.Flag)).SelectMany(d => new[] { d.Flag, d.Value })];

    [Fact]
    public void BenchTimesAGoogleCheckoutAndChecksItsOutput()
    {
        using var tmp = new TempDir();
        // A stand-in for a google/ffn checkout: its compute_partitions is the NumPy oracle, and it imports absl and
        // ffn's own packages the way google/ffn's does, so the bench's import stand-ins are exercised.
        var fake = Directory.CreateDirectory(tmp.File("ffn-checkout")).FullName;
        Directory.CreateDirectory(Path.Combine(fake, "ffn", "utils"));
        File.WriteAllText(Path.Combine(fake, "ffn", "__init__.py"), "");
        File.WriteAllText(Path.Combine(fake, "ffn", "utils", "__init__.py"), "");
        File.WriteAllText(Path.Combine(fake, "compute_partitions.py"), PartitionOracle.Source + """

from absl import flags
from ffn.utils import bounding_box_pb2
FLAGS = flags.FLAGS
flags.DEFINE_string('input_volume', None, 'unused')

def compute_partitions(seg_array, thresholds, lom_radius, id_whitelist=None, exclusion_regions=None, mask_configs=None, min_size=10000):
    full = oracle_partitions(np.asarray(seg_array), thresholds, lom_radius, min_size)
    rx, ry, rz = lom_radius
    return lom_radius, full[rz:full.shape[0] - rz, ry:full.shape[1] - ry, rx:full.shape[2] - rx]
""");
        var args = new[] { "bench", "partition", "--input", Input + ":labels", "--lom-radius", "4,6,8", "--min-size", "100", "--repeat", "1", "--google-ffn", fake };
        var r = Cli.Run(args);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("65 objects, 60 with >= 100 voxels", r.Out);
        Assert.Contains("outputs identical", r.Out);
        Assert.Matches(@"speedup: \d+(\.\d)?x", r.Out);

        // A checkout whose result differs is reported, with exit code 1.
        File.AppendAllText(Path.Combine(fake, "compute_partitions.py"), """

_right = compute_partitions
def compute_partitions(*a, **k):
    corner, out = _right(*a, **k)
    out[0, 0, 0] ^= 1
    return corner, out
""");
        r = Cli.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("DIFFER", r.Out);

        r = Cli.Run("bench", "partition", "--input", Input + ":labels", "--repeat", "2", "--min-size", "100", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("\"ffn_median_s\"", r.Out);
        Assert.Equal(2, Cli.Run("bench", "partition", "--google-ffn", tmp.File("nowhere")).ExitCode);
    }

    [Fact]
    public void HelpListsTheCommandsAndTheirFlags()
    {
        var root = Cli.Run("--help").Out;
        Assert.Contains("partition", root);
        Assert.Contains("build-coordinates", root);
        Assert.Contains("bench", root);
        var partition = Cli.Run("partition", "--help").Out;
        foreach (var flag in new[] { "--input-volume", "--input_volume", "--output_volume", "--lom_radius", "--min_size", "--id_whitelist", "--exclusion_regions", "--mask", "--thresholds" })
            Assert.Contains(flag, partition);
        var coords = Cli.Run("build-coordinates", "--help").Out;
        foreach (var flag in new[] { "--partition_volumes", "--coordinate_output", "--margin", "--seed" })
            Assert.Contains(flag, coords);
        Assert.Contains("partition", Cli.Run("bench", "--help").Out);
    }
}
