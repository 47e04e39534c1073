using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Ffn.Actors.Messages;
using Ffn.Actors.Workers;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Cluster;

/// <summary>Starts this member's part of the pipeline according to its roles.</summary>
public static class ClusterNode
{
    public static IActorRef Proxy(ActorSystem system) =>
        system.ActorOf(ClusterSingletonProxy.Props($"/user/{ClusterRoles.ManagerName}",
            ClusterSingletonProxySettings.Create(system).WithRole(ClusterRoles.Coordinator).WithSingletonName(ClusterRoles.SingletonName)),
            ClusterRoles.ProxyName);

    /// <summary>The run manager singleton's host on a coordinator-role node.</summary>
    public static IActorRef StartCoordinator(ActorSystem system, IActorRef log, DataRoots roots) =>
        system.ActorOf(ClusterSingletonManager.Props(RunManager.Props(log, roots), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system).WithRole(ClusterRoles.Coordinator).WithSingletonName(ClusterRoles.SingletonName)),
            ClusterRoles.ManagerName);

    /// <summary>A pool of workers that pull blocks from the singleton (through the proxy).</summary>
    public static IActorRef StartWorkers(ActorSystem system, IActorRef proxy, BlockProcessorFactory processors, WorkerPoolSettings settings, IActorRef log,
        InFlightBlocks inFlight) =>
        system.ActorOf(WorkerPool.Props(proxy, processors, settings, log, inFlight), "workers");

    public static IActorRef LogMembership(ActorSystem system, IActorRef log) =>
        system.ActorOf(MembershipLogger.Props(log), "membership");

    /// <summary>
    /// Asks the run manager whether it would take <paramref name="spec"/>: null if so, else why not. Asked again every
    /// <paramref name="every"/> until answered, since a question sent while the singleton moves can be lost.
    /// </summary>
    public static async Task<RunRefused?> CheckAsync(IActorRef proxy, RunSpec spec, TimeSpan every, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                return await proxy.Ask<IFfnMessage>(new CheckRun(spec), every, cancel).ConfigureAwait(false) as RunRefused;
            }
            catch (AskTimeoutException)
            {
            }
        }
    }

    /// <summary>Submits a run from a submitter-role member and waits for its verdict.</summary>
    public static async Task<IFfnMessage> SubmitAsync(ActorSystem system, IActorRef proxy, RunSpec spec, TimeSpan resubmitEvery,
        Action<string> progress, CancellationToken cancel)
    {
        var client = RunClient.Submit(system, proxy, spec, resubmitEvery, progress);
        try
        {
            return await client.Verdict.WaitAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            system.Stop(client.Ref);
        }
    }
}
