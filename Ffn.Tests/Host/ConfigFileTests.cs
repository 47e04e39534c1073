using System.Text;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>`--config FILE`: malformed HOCON and unknown keys are one line naming the file, exit 2, before anything runs.</summary>
public class ConfigFileTests
{
    /// <summary>
    /// Akka's HOCON parser looped on these, allocating without bound: they run as a process with a capped heap and a
    /// timeout, so a regression fails instead of hanging.
    /// </summary>
    [Theory]
    [InlineData("b = [1\nc = 2\n", "2:3: '=' inside the list opened at 1:5")]
    [InlineData("ffn.synth { shape = [16,16,16\n}\n", "2:1: '}' inside the list opened at 1:21")]
    [InlineData("a=[=", "1:4: '=' inside the list opened at 1:3")]
    public void UnclosedListFailsFastWithItsPlace(string text, string place)
    {
        var env = new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = "0x20000000" };
        AssertRefused(Encoding.UTF8.GetBytes(text), $":{place} (is a ']' missing?)", args => Cli.RunProcess(env, TimeSpan.FromSeconds(60), args));
    }

    [Theory]
    [InlineData("ffn.synth { shape = [16,16,16\n", "1:21: '[' is never closed (no matching ']')")]
    [InlineData("ffn.synth.seed = = 3 }}}\n", "1:18: expected a value after '=', found '='")]
    [InlineData("ffn.synth { seed = 3\n", "1:11: '{' is never closed (no matching '}')")]
    [InlineData("}}}}}}\n", "1:1: '}' with no '{' to close")]
    [InlineData("ffn.synth.seed = 3\n}}}}}}\n", "2:1: '}' with no '{' to close")]
    [InlineData("ffn.synth.seed = \"3\n", "1:18: string is never closed (no '\"' before the end of the line)")]
    [InlineData("ffn.synth.seed = 3\0\n", "1:19: control character U+0000: not a HOCON text file")]
    public void MalformedHoconIsOneLineWithItsPlace(string text, string problem) => AssertRefused(Encoding.UTF8.GetBytes(text), ":" + problem);

    /// <summary>An HDF5 file given by mistake: its signature is not UTF-8.</summary>
    [Fact]
    public void BinaryFileIsRefused() =>
        AssertRefused([0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 8, 8, 0], ": not UTF-8 text (a HOCON file was expected)");

    [Theory]
    [InlineData("ffn.synth.shapee = \"8,8,8\"", "unknown key ffn.synth.shapee (did you mean ffn.synth.shape?)")]
    [InlineData("ffn.synthh.shape = \"8,8,8\"", "unknown key ffn.synthh.shape (did you mean ffn.synth.shape?)")]
    [InlineData("ffn { bench { run { wokers = \"1\" } } }", "unknown key ffn.bench.run.wokers (did you mean ffn.bench.run.workers?)")]
    [InlineData("ffn.synth = 3", "ffn.synth is a section of keys, not a value")]
    [InlineData("ffn.synth.shape { z = 8 }", "ffn.synth.shape takes a value, not a section of keys")]
    public void UnknownKeyIsNamedWithTheNearestKnownOne(string text, string problem) => AssertRefused(Encoding.UTF8.GetBytes(text + "\n"), ": " + problem);

    /// <summary>`ffn synth` with a --config file of <paramref name="content"/>: exit 2, one line naming the file, no output.</summary>
    private static void AssertRefused(byte[] content, string problem, Func<string[], CliResult>? run = null)
    {
        using var tmp = new TempDir();
        var conf = tmp.File("c.conf");
        File.WriteAllBytes(conf, content);
        var r = (run ?? Cli.Run)(["synth", tmp.File("o.h5"), "--shape", "8,8,8", "--config", conf]);
        Assert.True(r.ExitCode == 2, r.Err);
        Assert.Equal([$"ffn: error: --config {conf}{problem}"], r.ErrLines);
        Assert.False(File.Exists(tmp.File("o.h5")));
    }

    /// <summary>The shipped files pass the checks (ffn.conf has null defaults; cluster.conf quoted keys and lists).</summary>
    [Theory]
    [InlineData("ffn.conf")]
    [InlineData("akka.conf")]
    [InlineData("cluster.conf")]
    public void ShippedConfigsAreAccepted(string name)
    {
        using var tmp = new TempDir();
        var r = Cli.Run("synth", tmp.File("o.h5"), "--shape", "8,8,8", "--config", Path.Combine(TestData.RepoRoot, "hocon", name));
        Assert.True(r.ExitCode == 0, r.Err);
    }

    [Fact]
    public void ValidHoconReachesTheFlags()
    {
        using var tmp = new TempDir();
        var conf = tmp.File("c.conf");
        File.WriteAllText(conf, """"
            # keys whose default is null are known too; a '{' on the next line and a '#' ending the file are fine
            ffn.model.architecture = null
            ffn.infer.subvol-size = "8,8,8"
            ffn.stitch { original-shape = "1,2,3", tile-shape = null }
            akka.loglevel = INFO  // keys outside ffn go to the actor system unchecked
            akka.some-list = [1, 2,
              3,]
            dims = """10,12,14"""
            ffn.synth
            {
              shape = ${dims}, seed = 5
            }
            ffn.synth.noise = 3 #
            """");
        var r = Cli.Run("synth", tmp.File("o.h5"), "--config", conf);
        Assert.True(r.ExitCode == 0, r.Err);
        using var v = VolumeStore.OpenRead(tmp.File("o.h5") + ":raw");
        Assert.Equal((10, 12, 14), (v.Info.Shape.Z, v.Info.Shape.Y, v.Info.Shape.X));
    }
}
