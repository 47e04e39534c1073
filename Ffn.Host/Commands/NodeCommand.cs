using System.CommandLine;
using Akka.Actor;
using Ffn.Actors;
using Ffn.Actors.Cluster;
using Ffn.Actors.Workers;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Network;
using Ffn.Model.Runtime;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn node`: a long-running cluster member. Coordinator-role members host the run manager singleton (one of them
/// is active); worker-role members run a pool of inference workers that pull blocks from it. Every member reads
/// the input and writes block results on the shared file system, and only beneath its --data-root folders.
/// SIGTERM / Ctrl-C leaves the cluster gracefully.
/// </summary>
public static class NodeCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "node";
        var role = Flags.Make<string>(ctx, s, "--role", "worker, coordinator, or both (worker,coordinator)");
        var dataRoot = Flags.Make<string>(ctx, s, "--data-root", "Folders PATH[,PATH...] that runs may read and write on this node (inputs, models, run directories), links and .. resolved");
        var torch = new TorchFlags(ctx);
        var precision = new PrecisionFlags(ctx);
        var cluster = new ClusterFlags(ctx, s, optIn: false);
        var pipeline = new PipelineFlags(ctx, s, coordinator: false, requestInterval: true);
        var cmd = new Command("node", "Run a cluster member (coordinator and/or worker role) until stopped") { role, dataRoot };
        foreach (var o in pipeline.All.Concat(torch.All).Concat(precision.All).Concat(cluster.All.Where(o => o != cluster.Resubmit))) cmd.Options.Add(o);
        cmd.SetAction(async (r, outer) =>
        {
            using var signals = new TerminationSignals(outer);
            var cancel = signals.Token;
            var roles = (r.GetValue(role) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(x => x.ToLowerInvariant()).Distinct().ToArray();
            if (roles.Length == 0 || roles.Any(x => !ClusterRoles.NodeRoles.Contains(x)))
                throw new UsageException($"--role {r.GetValue(role)}: expected worker, coordinator or worker,coordinator");
            var roots = new DataRoots((r.GetValue(dataRoot) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var setup = cluster.Setup(ctx, r, roles);
            var device = TorchRuntime.Name(torch.Prepare(r, KernelPurpose.Inference));
            var workers = roles.Contains(ClusterRoles.Worker) ? pipeline.WorkerPool(r, device) : null;
            if (workers != null) TorchRuntime.RequireDevices(workers.Devices, "--devices");
            var forward = precision.Resolve(r, torch);
            var log = ctx.Progress;
            var system = ActorSystem.Create("ffn", setup);
            var address = Akka.Cluster.Cluster.Get(system).SelfAddress;
            ctx.Out.WriteLine($"node {address} roles [{string.Join(",", roles)}] data roots [{roots}]");
            ctx.Out.Flush();
            var lineLog = LineLog.Start(system, log);
            ClusterNode.LogMembership(system, lineLog);
            if (roles.Contains(ClusterRoles.Coordinator)) ClusterNode.StartCoordinator(system, lineLog, roots);
            IActorRef? pool = null;
            var inFlight = new InFlightBlocks();
            if (workers != null)
                pool = ClusterNode.StartWorkers(system, ClusterNode.Proxy(system), roots.Guard(SegmentationBlockProcessor.For(forward)), workers, lineLog, inFlight);
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
                    try { await pool.GracefulStop(workers!.StopTimeout); }
                    catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { }
                }
                await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
                // A stopped worker's block may still be inside libtorch: exiting under it would crash the process.
                if (workers != null && await inFlight.DrainAsync(workers.DrainTimeout) is > 0 and var busy)
                    log.Report($"{busy} block thread(s) still busy after {workers.DrainTimeout.TotalSeconds:F0} s; not waiting longer");
                return FfnCli.Ok;
            }
        });
        return cmd;
    }
}
