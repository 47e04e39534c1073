using Akka.Actor;
using Ffn.Actors.Messages;

namespace Ffn.Actors;

/// <summary>
/// Whoever started a run, as an actor: prints its progress lines (and this node's log lines) through one callback
/// and completes a task with its verdict. For a cluster run it also submits the run to the run manager, again every
/// <c>resubmitEvery</c>: the singleton proxy buffers while the manager moves, and a new manager starts the run
/// again from the committed blocks. The one bridge between the actors and the command that waits.
/// </summary>
public sealed class RunClient : ReceiveActor, IWithTimers
{
    public ITimerScheduler Timers { get; set; } = null!;

    public RunClient(string runId, Action<string> progress, TaskCompletionSource<IFfnMessage> done, (IActorRef Manager, RunSpec Spec, TimeSpan Every)? submit)
    {
        Receive<RunProgressLine>(m => progress(m.Text));
        Receive<LogLine>(m => progress(m.Text));
        Receive<RunCompleted>(m => { if (m.RunId == runId) done.TrySetResult(m); });
        Receive<RunAborted>(m => { if (m.RunId == runId) done.TrySetResult(m); });
        Receive<RunRefused>(m => { if (m.RunId == runId) done.TrySetResult(m); });
        Receive<RunAccepted>(_ => { });
        if (submit is { } s)
        {
            Receive<Resubmit>(_ => s.Manager.Tell(new SubmitRun(s.Spec)));
            s.Manager.Tell(new SubmitRun(s.Spec));
            Timers.StartPeriodicTimer("resubmit", Resubmit.Instance, s.Every);
        }
    }

    public sealed record Handle(IActorRef Ref, Task<IFfnMessage> Verdict);

    /// <summary>A client for a run started in this actor system (its coordinator reports here).</summary>
    public static Handle Start(IActorRefFactory system, string runId, Action<string> progress, string name) => Start(system, runId, progress, name, null);

    /// <summary>A client that hands the run to a cluster's run manager (through its proxy) and waits for it.</summary>
    public static Handle Submit(IActorRefFactory system, IActorRef manager, RunSpec spec, TimeSpan resubmitEvery, Action<string> progress) =>
        Start(system, spec.RunId, progress, $"submit-{spec.RunId}", (manager, spec, resubmitEvery));

    private static Handle Start(IActorRefFactory system, string runId, Action<string> progress, string name, (IActorRef, RunSpec, TimeSpan)? submit)
    {
        var done = new TaskCompletionSource<IFfnMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = system.ActorOf(Props.Create(() => new RunClient(runId, progress, done, submit)), name);
        return new Handle(client, done.Task);
    }

    private sealed class Resubmit
    {
        public static readonly Resubmit Instance = new();
    }
}
