using Akka.Actor;
using Ffn.Actors.Messages;

namespace Ffn.Actors.Cluster;

/// <summary>
/// Hands a run to the cluster's run manager and waits for its verdict. It resubmits periodically: the singleton
/// proxy buffers while the manager moves, and a new manager starts the run again from the committed blocks.
/// </summary>
public sealed class Submitter : ReceiveActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    public Submitter(IActorRef proxy, RunSpec spec, TimeSpan every, Action<string> progress, TaskCompletionSource<IFfnMessage> done)
    {
        Receive<Resubmit>(_ => proxy.Tell(new SubmitRun(spec)));
        Receive<RunAccepted>(_ => { });
        Receive<RunProgressLine>(m => progress(m.Text));
        Receive<RunCompleted>(m => { if (m.RunId == spec.RunId) done.TrySetResult(m); });
        Receive<RunAborted>(m => { if (m.RunId == spec.RunId) done.TrySetResult(m); });
        proxy.Tell(new SubmitRun(spec));
        Timers.StartPeriodicTimer("resubmit", Resubmit.Instance, every);
    }

    public static Props Props(IActorRef proxy, RunSpec spec, TimeSpan every, Action<string> progress, TaskCompletionSource<IFfnMessage> done) =>
        Akka.Actor.Props.Create(() => new Submitter(proxy, spec, every, progress, done));

    private sealed class Resubmit
    {
        public static readonly Resubmit Instance = new();
    }
}
