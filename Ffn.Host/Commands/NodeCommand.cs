using System.CommandLine;
using Akka.Actor;
using Ffn.Actors.Cluster;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Network;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn node`: a long-running cluster member. Coordinator-role members host the run manager singleton (one of them
/// is active); worker-role members run a pool of inference workers that pull blocks from it. Every member reads
/// the input and writes block results on the shared file system. SIGTERM / Ctrl-C leaves the cluster gracefully.
/// </summary>
public static class NodeCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "node";
        var role = Flags.Make<string>(ctx, s, "--role", "worker, coordinator, or both (worker,coordinator)");
        var workers = Flags.Make<int>(ctx, s, "--workers", "Inference workers on this node (worker role; one per GPU)");
        var requestEvery = Flags.Make<double>(ctx, s, "--request-interval", "Seconds between an idle worker's requests for work");
        var device = Flags.Make<string>(ctx, "model", "--device", "auto (CUDA if available), cpu, cuda or cuda:N");
        var threads = Flags.Make<int>(ctx, "model", "--threads", "CPU threads for libtorch (0 = one per core)");
        var cluster = new ClusterFlags(ctx, s, optIn: false);
        var cmd = new Command("node", "Run a cluster member (coordinator and/or worker role) until stopped") { role, workers, requestEvery, device, threads };
        foreach (var o in cluster.All.Where(o => o != cluster.Resubmit)) cmd.Options.Add(o);
        var kernels = new KernelFlags(ctx);
        foreach (var o in kernels.All) cmd.Options.Add(o);
        cmd.SetAction(async (r, outer) =>
        {
            using var signals = new TerminationSignals(outer);
            var cancel = signals.Token;
            var roles = (r.GetValue(role) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(x => x.ToLowerInvariant()).Distinct().ToArray();
            if (roles.Length == 0 || roles.Any(x => !ClusterRoles.NodeRoles.Contains(x)))
                throw new UsageException($"--role {r.GetValue(role)}: expected worker, coordinator or worker,coordinator");
            int n = r.GetValue(workers);
            if (n < 1 && roles.Contains(ClusterRoles.Worker)) throw new UsageException($"--workers must be >= 1, got {n}");
            var dev = r.GetValue(device)!;
            kernels.Prepare(r);
            TorchRuntime.ParseDevice(dev);
            TorchRuntime.SetThreads(r.GetValue(threads));
            var config = cluster.Config(ctx, r, roles);
            var log = ctx.Progress;
            var system = ActorSystem.Create("ffn", config);
            var address = Akka.Cluster.Cluster.Get(system).SelfAddress;
            ctx.Out.WriteLine($"node {address} roles [{string.Join(",", roles)}]");
            ctx.Out.Flush();
            ClusterNode.LogMembership(system, log.Report);
            if (roles.Contains(ClusterRoles.Coordinator)) ClusterNode.StartCoordinator(system, log.Report);
            IActorRef? pool = null;
            if (roles.Contains(ClusterRoles.Worker))
            {
                var proxy = ClusterNode.Proxy(system);
                pool = ClusterNode.StartWorkers(system, proxy, n,
                    job => new SegmentationBlockProcessor(job.Settings ?? throw new InvalidOperationException($"run {job.RunId} came without segmentation settings"),
                        new BlockResultStore(job.RunDir), dev),
                    TimeSpan.FromSeconds(Math.Max(0.1, r.GetValue(requestEvery))), log.Report);
            }
            try
            {
                await system.WhenTerminated.WaitAsync(cancel);
                // Terminated without being asked: downed by the split brain resolver, or the cluster shut us out.
                ctx.Err.WriteLine($"ffn: error: node {address} was removed from the cluster");
                return FfnCli.RuntimeError;
            }
            catch (OperationCanceledException)
            {
                log.Report($"node {address}: leaving the cluster");
                // Workers go first: a block in flight is abandoned and handed back to the coordinator at once.
                if (pool != null)
                {
                    try { await pool.GracefulStop(TimeSpan.FromSeconds(10)); }
                    catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { }
                }
                await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
                return FfnCli.Ok;
            }
        });
        return cmd;
    }
}
