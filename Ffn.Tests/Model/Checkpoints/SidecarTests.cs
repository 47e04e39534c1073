using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Checkpoints;

/// <summary>Whatever is wrong with a checkpoint's JSON sidecar, the error names the sidecar.</summary>
public class SidecarTests
{
    [Theory]
    [InlineData("image_stddev", "-1", "image stddev must be > 0")]
    [InlineData("depth", "0", "model depth must be >= 1")]
    [InlineData("fov_size", "[32, 33, 33]", "odd on every axis")]
    [InlineData("architecture", "5", "malformed model config")]
    [InlineData("image_mean", "NaN", "malformed model config")]
    [InlineData("features", "16", "expected [16,2,3,3,3] for convstack_3d depth 12 features 16")]
    [InlineData("depth", "11", "tensors that convstack_3d depth 11 features 32")]
    public void BadValuesNameTheSidecar(string key, string value, string expect)
    {
        using var tmp = new TempDir();
        var pkl = tmp.File("m.pkl");
        File.Copy(CheckpointIntegrityTests.SamplePkl, pkl);
        PythonOracle.Run("""
import sys, json
j = json.load(open(sys.argv[1]))
j[sys.argv[3]] = json.loads(sys.argv[4])
json.dump(j, open(sys.argv[2], 'w'))
""", Path.ChangeExtension(CheckpointIntegrityTests.SamplePkl, ".json"), tmp.File("m.json"), key, value);

        var e = Assert.ThrowsAny<InputException>(() => ModelCheckpoint.Load(pkl));
        Assert.Contains(tmp.File("m.json"), e.Message);
        Assert.Contains(expect, e.Message);
        var r = Cli.Run("model", "info", pkl);
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.Contains(tmp.File("m.json"), r.Err);
    }
}
