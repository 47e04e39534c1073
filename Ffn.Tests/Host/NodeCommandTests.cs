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
            (["node", "--role", "worker", "--data-root", "/no/such/folder", "--seed-nodes", "akka.tcp://ffn@127.0.0.1:4053"], "--data-root /no/such/folder: no such directory"),
            // Plain TCP off loopback, TLS flags missing their other half, seeds of the other scheme.
            (["node", "--role", "worker", "--hostname", "0.0.0.0", "--seed-nodes", "akka.tcp://ffn@127.0.0.1:4053"], "--hostname 0.0.0.0: plain TCP off loopback"),
            (["node", "--role", "worker", "--tls", "/no/such.pfx", "--seed-nodes", "akka.ssl.tcp://ffn@127.0.0.1:4053"], "--tls-ca: the cluster's CA certificate"),
            (["node", "--role", "worker", "--tls", "/no/such.pfx", "--tls-ca", "/no/ca.crt", "--seed-nodes", "akka.ssl.tcp://ffn@127.0.0.1:4053"], "--tls /no/such.pfx: no such file"),
            (["node", "--role", "worker", "--seed-nodes", "akka.ssl.tcp://ffn@127.0.0.1:4053"], "--seed-nodes akka.ssl.tcp://ffn@127.0.0.1:4053: expected akka.tcp://"),
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

    [Fact]
    public void Tls_needs_a_member_certificate_of_the_cluster_CA_and_seeds_over_TLS()
    {
        using var tmp = new TempDir();
        string ours = tmp.File("ours"), other = tmp.File("other");
        Assert.Equal(0, Cli.Run("certs", ours, "--members", "w1").ExitCode);
        Assert.Equal(0, Cli.Run("certs", other, "--members", "w2").ExitCode);
        var ca = Path.Combine(ours, "ca.crt");
        var cases = new (string[] Tls, string Seeds, string Expect)[]
        {
            (["--tls", Path.Combine(other, "w2.pfx"), "--tls-ca", ca], "akka.ssl.tcp://ffn@127.0.0.1:4053", $"--tls {Path.Combine(other, "w2.pfx")}: certificate CN=w2, O=ffn"),
            (["--tls", ca, "--tls-ca", ca], "akka.ssl.tcp://ffn@127.0.0.1:4053", $"--tls {ca}: not a certificate file"),
            (["--tls", Path.Combine(ours, "w1.pfx"), "--tls-ca", ca], "akka.tcp://ffn@127.0.0.1:4053", "expected akka.ssl.tcp://ffn@HOST:PORT (--tls is on)"),
            (["--tls", Path.Combine(ours, "w1.pfx"), "--tls-ca", ca, "--insecure"], "akka.ssl.tcp://ffn@127.0.0.1:4053", "--insecure: not with --tls"),
        };
        foreach (var (tls, seeds, expect) in cases)
        {
            var r = Cli.Run(["node", "--role", "worker", "--seed-nodes", seeds, .. tls]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', tls)}: exit {r.ExitCode}: {r.Err}");
            Assert.Contains(expect, r.Err);
            Assert.Single(r.ErrLines);
        }
    }

    [Fact]
    public void Insecure_plain_TCP_off_loopback_is_said_at_start()
    {
        int port = FfnProcess.FreePort();
        using var node = new FfnProcess("node", "node", "--role", "coordinator", "--hostname", "0.0.0.0", "--insecure", "--port", port.ToString(),
            "--seed-nodes", $"akka.tcp://ffn@0.0.0.0:{port}");
        var warning = node.WaitForLine(l => l.StartsWith("ffn: warning:", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        Assert.Equal($"ffn: warning: --insecure: remoting on 0.0.0.0 is plain TCP; anyone who reaches port {port} can join this cluster and submit runs", warning);
        node.WaitForLine(l => l.StartsWith($"node akka.tcp://ffn@0.0.0.0:{port} ", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
    }
}
