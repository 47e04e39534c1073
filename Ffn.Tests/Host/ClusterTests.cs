using System.Text.Json.Nodes;
using Ffn.Actors.Cluster;
using Ffn.Model;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// The pipeline across real `ffn node` OS processes on loopback: nodes die with SIGKILL mid-run and the output
/// must equal, byte for byte, a single-node run of the same input. Every node serves the test's folder as its data root.
/// </summary>
[Trait("Category", "Slow")]
public class ClusterTests : IDisposable
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly TempDir _tmp = new();
    private readonly List<FfnProcess> _procs = [];
    private readonly string _input, _model;

    public ClusterTests()
    {
        _input = _tmp.File("vol.h5");
        var r = Cli.Run("synth", _input, "--shape", "32,64,96", "--seed", "4");
        Assert.True(r.ExitCode == 0, r.Err);
        _model = TestModels.BrightObjects(_tmp.File("bright.pkl"));
    }

    private string[] RunArgs(string outDir) =>
        ["--input", _input + ":raw", "--model", _model, "--output", outDir, "--block-shape", "16,32,32", "--min-seg-size", "20",
         "--merge", "none", "--threads", "1", "--progress-interval", "2"];

    private FfnProcess Start(string name, params string[] args)
    {
        var p = new FfnProcess(name, args);
        _procs.Add(p);
        return p;
    }

    private FfnProcess Node(string name, string role, int port, string seeds, params string[] more) =>
        Start(name, ["node", "--role", role, "--port", port.ToString(), "--seed-nodes", seeds, "--workers", "1", "--threads", "1",
            "--request-interval", "0.5", "--data-root", _tmp.Path, .. more]);

    private static byte[] Dataset(string dir)
    {
        using var r = Hdf5VolumeReader.Open(Path.Combine(dir, "final_result.h5"), "segmentation");
        return r.Read(Box3.FromShape(r.Info.Shape)).Bytes.ToArray();
    }

    private string Logs => string.Join("\n", _procs.Select(p => p.Log));

    [Fact]
    public void A_worker_killed_mid_block_loses_nothing_and_the_output_equals_a_single_node_run()
    {
        var single = _tmp.File("single");
        var baseline = Cli.Run(["run", .. RunArgs(single)]);
        Assert.True(baseline.ExitCode == 0, baseline.Err);

        int seedPort = FfnProcess.FreePort();
        var seeds = $"akka.tcp://ffn@127.0.0.1:{seedPort}";
        var coord = Node("coordinator", "coordinator", seedPort, seeds);
        coord.WaitForLine(l => l.StartsWith("node akka.tcp://", StringComparison.Ordinal), Minute);
        var w1 = Node("worker-1", "worker", 0, seeds);
        var w2 = Node("worker-2", "worker", 0, seeds);
        coord.WaitForLine(l => l.Contains("up [worker]") , Minute);
        var clustered = _tmp.File("clustered");
        var submit = Start("submitter", ["run", "--cluster", "--seed-nodes", seeds, "--resubmit-interval", "1", .. RunArgs(clustered)]);

        // SIGKILL worker 1 as soon as it holds a block.
        var started = w1.WaitForLine(l => l.Contains(" started"), Minute);
        w1.Kill();
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(3)), "the run did not finish\n" + Logs);
        Assert.True(submit.ExitCode == 0, Logs);

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(clustered, "summary.json")))!;
        var blocks = summary["blocks"]!.AsArray();
        Assert.Equal(12, blocks.Count);
        Assert.All(blocks, b => Assert.Contains((string)b!["state"]!, new[] { "done", "empty" }));
        // Each block's result was accepted once, and where it came from is recorded.
        Assert.All(blocks.Where(b => (string)b!["state"]! == "done"), b => Assert.Contains("akka.tcp://ffn@127.0.0.1:", (string)b!["worker"]!));
        Assert.Equal(blocks.Count(b => (string)b!["state"]! == "done"), Directory.GetFiles(Path.Combine(clustered, "blocks"), "seg_*.npz").Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(clustered, "blocks"), ".*"));
        var lost = blocks.Where(b => b!["errors"] != null).ToList();
        Assert.True(lost.Count >= 1 || w1.Log.Contains("committed"), $"worker 1 was killed holding a block ({started}) but no block records a lost attempt\n{Logs}");
        Assert.Equal(Dataset(single), Dataset(clustered));
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "ffn-cluster-test-worker-kill.log"), Logs);
    }

    [Fact]
    public void When_the_coordinator_node_dies_the_singleton_moves_and_the_run_completes_from_the_committed_blocks()
    {
        var single = _tmp.File("single");
        var baseline = Cli.Run(["run", .. RunArgs(single)]);
        Assert.True(baseline.ExitCode == 0, baseline.Err);

        int portA = FfnProcess.FreePort(), portB = FfnProcess.FreePort();
        var seeds = $"akka.tcp://ffn@127.0.0.1:{portA},akka.tcp://ffn@127.0.0.1:{portB}";
        var coordA = Node("coordinator-a", "coordinator", portA, seeds);
        coordA.WaitForLine(l => l.Contains($":{portA} up [coordinator]"), Minute);
        var coordB = Node("coordinator-b", "coordinator", portB, seeds);
        Node("worker-1", "worker", 0, seeds);
        Node("worker-2", "worker", 0, seeds);
        coordB.WaitForLine(l => l.Contains($":{portB} up [coordinator]"), Minute);
        var clustered = _tmp.File("clustered");
        var submit = Start("submitter", ["run", "--cluster", "--seed-nodes", seeds, "--resubmit-interval", "1", .. RunArgs(clustered)]);

        // Kill the singleton's node once 3 blocks are committed: the rest must be redone elsewhere. Counted from the
        // per-block lines, since the periodic progress line can skip any particular count.
        int committed = 0;
        coordA.WaitForLine(l => l.StartsWith("block seg_", StringComparison.Ordinal) && l.Contains(" objects in ", StringComparison.Ordinal) && ++committed == 3,
            TimeSpan.FromMinutes(2));
        coordA.Kill();
        coordB.WaitForLine(l => l.Contains($"started on akka.tcp://ffn@127.0.0.1:{portB}"), TimeSpan.FromMinutes(2));
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(3)), "the run did not finish\n" + Logs);
        Assert.True(submit.ExitCode == 0, Logs);

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(clustered, "summary.json")))!;
        Assert.True((int)summary["blocks_reused"]! >= 3, $"the new coordinator should reuse the committed blocks\n{summary}");
        Assert.Equal(12, (int)summary["blocks_reused"]! + (int)summary["blocks_done"]!);
        Assert.Equal(Dataset(single), Dataset(clustered));
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "ffn-cluster-test-coordinator-kill.log"), Logs);
    }

    [Fact]
    public void A_worker_stopped_with_SIGTERM_leaves_gracefully_and_a_node_joining_mid_run_gets_work()
    {
        var single = _tmp.File("single");
        var baseline = Cli.Run(["run", .. RunArgs(single)]);
        Assert.True(baseline.ExitCode == 0, baseline.Err);

        int port = FfnProcess.FreePort();
        var seeds = $"akka.tcp://ffn@127.0.0.1:{port}";
        var coord = Node("coordinator", "coordinator", port, seeds);
        coord.WaitForLine(l => l.Contains($":{port} up [coordinator]"), Minute);
        var w1 = Node("worker-1", "worker", 0, seeds);
        coord.WaitForLine(l => l.Contains("up [worker]"), Minute);
        var clustered = _tmp.File("clustered");
        var submit = Start("submitter", ["run", "--cluster", "--seed-nodes", seeds, "--resubmit-interval", "1", .. RunArgs(clustered)]);

        w1.WaitForLine(l => l.Contains(" started"), Minute);
        FfnProcess.Terminate(w1);
        Assert.True(w1.WaitForExit(Minute), "the worker did not leave on SIGTERM\n" + w1.Log);
        Assert.True(w1.ExitCode == 0, w1.Log);
        Assert.Contains("leaving the cluster", w1.Log);

        // The only worker is gone; a node that joins now must get work at once.
        var w2 = Node("worker-2", "worker", 0, seeds);
        w2.WaitForLine(l => l.Contains(" started"), TimeSpan.FromMinutes(2));
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(3)), "the run did not finish\n" + Logs);
        Assert.True(submit.ExitCode == 0, Logs);
        Assert.Equal(Dataset(single), Dataset(clustered));
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "ffn-cluster-test-sigterm.log"), Logs);
    }

    [Fact]
    public void The_coordinator_holds_the_run_directory_while_it_runs_the_run_so_a_local_run_there_is_refused()
    {
        int port = FfnProcess.FreePort();
        var seeds = $"akka.tcp://ffn@127.0.0.1:{port}";
        var coord = Node("coordinator", "coordinator", port, seeds);
        coord.WaitForLine(l => l.Contains($":{port} up [coordinator]"), Minute);
        var clustered = _tmp.File("clustered");
        var submit = Start("submitter", ["run", "--cluster", "--seed-nodes", seeds, "--resubmit-interval", "1", .. RunArgs(clustered)]);
        // No worker yet: the run stays started on the coordinator, which writes its directory from now on.
        coord.WaitForLine(l => l.Contains($"started on akka.tcp://ffn@127.0.0.1:{port}"), Minute);

        var local = Cli.Run(["run", .. RunArgs(clustered)]);
        Assert.True(local.ExitCode == 2, $"exit {local.ExitCode}: {local.Err}\n{Logs}");
        Assert.Contains($"--output {clustered}: in use by another ffn run (pid {coord.Id} on {Environment.MachineName})", local.Err);

        Node("worker-1", "worker", 0, seeds);
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(3)), "the run did not finish\n" + Logs);
        Assert.True(submit.ExitCode == 0, Logs);
        // Finished: the coordinator let go of the directory.
        var after = Cli.Run(["run", .. RunArgs(clustered)]);
        Assert.True(after.ExitCode == 0, after.Err);
        Assert.Contains("0 done, 12 reused", after.Out);
    }

    [Fact]
    public void A_TLS_cluster_admits_only_its_own_members_and_runs_only_on_files_under_its_data_roots()
    {
        var single = _tmp.File("single");
        var baseline = Cli.Run(["run", .. RunArgs(single)]);
        Assert.True(baseline.ExitCode == 0, baseline.Err);
        string certs = _tmp.File("certs"), other = _tmp.File("other-ca");
        Assert.Equal(0, Cli.Run("certs", certs, "--members", "coordinator,worker-1,worker-2,submitter").ExitCode);
        Assert.Equal(0, Cli.Run("certs", other, "--members", "intruder").ExitCode);
        string[] Tls(string member) => ["--tls", Path.Combine(certs, member + ".pfx"), "--tls-ca", Path.Combine(certs, "ca.crt")];

        int port = FfnProcess.FreePort();
        var seeds = $"akka.ssl.tcp://ffn@127.0.0.1:{port}";
        var coord = Node("coordinator", "coordinator", port, seeds, Tls("coordinator"));
        coord.WaitForLine(l => l.Contains($"akka.ssl.tcp://ffn@127.0.0.1:{port} up [coordinator]"), Minute);
        var workers = new[] { Node("worker-1", "worker", 0, seeds, Tls("worker-1")), Node("worker-2", "worker", 0, seeds, Tls("worker-2")) };
        // A member of another cluster: its certificate is from another CA.
        var intruder = Node("intruder", "worker", 0, seeds, "--tls", Path.Combine(other, "intruder.pfx"), "--tls-ca", Path.Combine(other, "ca.crt"));
        var plain = Node("plain", "worker", 0, $"akka.tcp://ffn@127.0.0.1:{port}");
        int up = 0;
        coord.WaitForLine(l => l.Contains(" up [worker]") && ++up == 2, Minute);
        var addresses = workers.Concat([intruder, plain]).Select(p => p.WaitForLine(l => l.StartsWith("node akka", StringComparison.Ordinal), Minute).Split(' ')[1]).ToArray();

        // Asking for a run directory outside the data roots: refused before anything is written, by the submitter too.
        using var elsewhere = new TempDir();
        var outside = elsewhere.File("run");
        var refused = Cli.RunProcess(new Dictionary<string, string?>(), TimeSpan.FromMinutes(2),
            ["run", "--cluster", "--seed-nodes", seeds, .. Tls("submitter"), .. RunArgs(outside)]);
        Assert.True(refused.ExitCode == 2, $"exit {refused.ExitCode}: {refused.Err}\n{Logs}");
        Assert.Contains($"ffn: error: --output {outside}: outside the data roots ({RealPath.Of(_tmp.Path)})", refused.Err);
        Assert.False(Directory.Exists(outside), "nothing is created outside the data roots");

        var clustered = _tmp.File("clustered");
        var submit = Start("submitter", ["run", "--cluster", "--seed-nodes", seeds, "--resubmit-interval", "1", .. Tls("submitter"), .. RunArgs(clustered)]);
        Assert.True(submit.WaitForExit(TimeSpan.FromMinutes(3)), "the run did not finish\n" + Logs);
        Assert.True(submit.ExitCode == 0, Logs);
        Assert.Equal(Dataset(single), Dataset(clustered));

        // Only the two members with this CA's certificates worked; the intruder was refused in the handshake, by name and address.
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(clustered, "summary.json")))!;
        Assert.All(summary["blocks"]!.AsArray().Where(b => (string)b!["state"]! == "done"),
            b => Assert.Contains(RunManager.NodeOf((string)b!["worker"]!), addresses[..2]));
        Assert.DoesNotContain($"{addresses[2]} up", coord.Log);
        Assert.DoesNotContain($"{addresses[3]} up", coord.Log);
        Assert.Contains(coord.Log.Split('\n'), l => l.StartsWith("tls: refused peer 127.0.0.1:", StringComparison.Ordinal) && l.Contains("CN=intruder"));
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "ffn-cluster-test-tls.log"), Logs);
    }

    public void Dispose()
    {
        foreach (var p in _procs) p.Dispose();
        _tmp.Dispose();
    }
}
