using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

public class NodeCommandTests
{
    [Fact]
    public void Bad_cluster_flags_get_one_line_naming_the_flag()
    {
        var cases = new (string[] Args, string Expect)[]
        {
            (["node", "--role", "boss", "--seed-nodes", "akka.tcp://ffn@127.0.0.1:4053"], "--role boss"),
            (["node", "--role", "worker"], "--seed-nodes"),
            (["node", "--role", "worker", "--seed-nodes", "http://127.0.0.1:4053"], "--seed-nodes http://127.0.0.1:4053"),
            (["node", "--role", "worker", "--workers", "0", "--seed-nodes", "akka.tcp://ffn@127.0.0.1:4053"], "--workers"),
            (["node", "--role", "coordinator", "--port", "70000", "--seed-nodes", "akka.tcp://ffn@127.0.0.1:4053"], "--port 70000"),
            (["node", "--role", "worker", "--device", "tpu", "--seed-nodes", "akka.tcp://ffn@127.0.0.1:4053"], "tpu"),
        };
        foreach (var (args, expect) in cases)
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.Err}");
            Assert.Contains(expect, r.Err);
            Assert.True(r.ErrLines.Length <= 2, r.Err);
        }
    }

    [Fact]
    public void Run_with_cluster_needs_seed_nodes()
    {
        using var tmp = new TempDir();
        var input = tmp.File("v.h5");
        Assert.Equal(0, Cli.Run("synth", input, "--shape", "16,24,24").ExitCode);
        var model = TestModels.BrightObjects(tmp.File("m.pkl"));
        var r = Cli.Run("run", "--cluster", "--input", input + ":raw", "--model", model, "--output", tmp.File("o"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--seed-nodes", r.Err);
        Assert.False(Directory.Exists(tmp.File("o")), "nothing is written before the flags are checked");
    }
}
