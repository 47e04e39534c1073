using System.Text.Json;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

public class ModelCommandTests
{
    [Fact]
    public void ImportInfoAndForwardWorkFromTheCommandLine()
    {
        using var tmp = new TempDir();
        var imp = Cli.Run("model", "import", CheckpointImportTests.GoogleCkpt, "--out", tmp.Path, "--name", "fib25");
        Assert.True(imp.ExitCode == 0, imp.Err);
        var ckpt = tmp.File("fib25.pkl");
        Assert.True(File.Exists(ckpt) && File.Exists(tmp.File("fib25.json")));

        var info = Cli.Run("model", "info", ckpt, "--json");
        Assert.True(info.ExitCode == 0, info.Err);
        var root = JsonDocument.Parse(info.Out).RootElement;
        Assert.Equal("convstack_3d", root.GetProperty("architecture").GetString());
        Assert.Equal(638433, root.GetProperty("parameters").GetInt64());
        Assert.Equal(27465036, root.GetProperty("training_step").GetInt64());
        Assert.True(root.GetProperty("has_sidecar").GetBoolean());

        var input = TestData.SharedFile("testvectors", "forward_input_1x2x33x33x33.npy");
        var fwd = Cli.Run("model", "forward", ckpt, "--input", input, "--output", tmp.File("y.npy"), "--threads", "2");
        Assert.True(fwd.ExitCode == 0, fwd.Err);
        var expected = NpyFile.Read(TestData.SharedFile("testvectors", "forward_expected_google_fib25.npy"));
        var (max, _) = CheckpointImportTests.Compare(NpyFile.Read(tmp.File("y.npy")).Get<float>(), expected.Get<float>());
        Assert.True(max <= 1e-3f, $"max abs error {max}");

        var pyImp = Cli.Run("model", "import", CheckpointImportTests.FfnPyCkpt, "--out", tmp.Path);
        Assert.True(pyImp.ExitCode == 0, pyImp.Err);
        var pyInfo = JsonDocument.Parse(Cli.Run("model", "info", tmp.File("9409951_5200000.pkl"), "--json").Out).RootElement;
        Assert.Equal("ffnpy_basic", pyInfo.GetProperty("architecture").GetString());
        Assert.Equal(5200000, pyInfo.GetProperty("training_step").GetInt64());
    }

    [Fact]
    public void BenchForwardTimesOursAndPythonOnASmallNetwork()
    {
        using var tmp = new TempDir();
        var cfg = new Ffn.Model.Network.ModelConfig { Depth = 2, Features = 4, FovSize = new Ffn.Model.Geometry.Vec3i(9, 9, 9) };
        Ffn.Model.Checkpoints.ModelCheckpoint.Save(new Ffn.Model.Network.ConvStack3D(cfg), tmp.File("small.pkl"));
        var r = Cli.Run("bench", "forward", "--model", tmp.File("small.pkl"), "--batch", "1,2", "--rounds", "1", "--per-round", "2");
        Assert.True(r.ExitCode == 0, r.Err);
        var rows = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => char.IsDigit(l.TrimStart()[0])).ToList();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            var cols = row.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(6, cols.Length); // batch, ours ms, GFLOP/s, python no_grad, python autograd, ratio
            Assert.All(cols, c => Assert.True(c > 0));
        }
        Assert.Equal(2, Cli.Run("bench", "forward", "--batch", "0").ExitCode);
    }

    [Fact]
    public void BadModelInputsExitTwoWithOneLine()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("afile"), "");
        File.WriteAllText(tmp.File("junk.pkl"), "junk");
        NpyFile.Write(tmp.File("rank3.npy"), NdArray.Create(new float[8], 2, 2, 2));
        NpyFile.Write(tmp.File("ch3.npy"), NdArray.Create(new float[3 * 8], 1, 3, 2, 2, 2));
        NpyFile.Write(tmp.File("f8.npy"), NdArray.Create(new double[2 * 8], 1, 2, 2, 2, 2));
        NpyFile.Write(tmp.File("n0.npy"), NdArray.Create(new float[0], 0, 2, 3, 3, 3));
        var g = CheckpointImportTests.FfnPyCkpt;
        var cases = new (string[] Args, string Expect)[]
        {
            (["model", "info", tmp.File("junk.pkl")], "junk.pkl"),
            (["model", "info", tmp.File("missing.pkl")], "missing.pkl"),
            (["model", "info", tmp.Path], "a directory without a TensorFlow checkpoint"),
            (["model", "forward", g, "--input", tmp.File("rank3.npy"), "--output", tmp.File("o.npy")], "rank3.npy"),
            (["model", "forward", g, "--input", tmp.File("ch3.npy"), "--output", tmp.File("o.npy")], "2 channels"),
            (["model", "forward", g, "--input", tmp.File("f8.npy"), "--output", tmp.File("o.npy")], "float32"),
            (["model", "forward", g, "--input", tmp.File("n0.npy"), "--output", tmp.File("o.npy")], "n0.npy: empty input (0, 2, 3, 3, 3)"),
            (["model", "forward", g, "--input", tmp.File("ch3.npy"), "--output", tmp.File("o.npy"), "--device", "cuda:7"], "--device"),
            (["model", "import", g, "--out", tmp.File("afile")], "afile: is a file, not a directory"),
            (["model", "import", g, "--out", tmp.Path, "--fov-size", "32,33,33"], "odd"),
        };
        foreach (var (args, expect) in cases)
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Err}");
            Assert.Single(r.ErrLines);
            Assert.Contains(expect, r.Err);
        }
        Assert.False(File.Exists(tmp.File("o.npy")));
    }
}
