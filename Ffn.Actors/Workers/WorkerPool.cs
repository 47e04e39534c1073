using Akka.Actor;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Workers;

/// <summary>
/// Keeps N inference workers alive on this node: a worker that stops (abandoned after a deadline, or crashed past
/// its restart budget) is replaced after a back-off, and the new one registers with the coordinator by itself.
/// </summary>
public sealed class WorkerPool : ReceiveActor, IWithTimers
{
    private readonly IActorRef _coordinator;
    private readonly Func<IBlockProcessor> _makeProcessor;
    private readonly TimeSpan _replaceAfter;
    private int _serial;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkerPool(IActorRef coordinator, int workers, Func<IBlockProcessor> makeProcessor, TimeSpan replaceAfter)
    {
        _coordinator = coordinator;
        _makeProcessor = makeProcessor;
        _replaceAfter = replaceAfter;
        for (int i = 0; i < workers; i++) Spawn();
        Receive<Terminated>(_ =>
        {
            if (_replaceAfter > TimeSpan.Zero) Timers.StartSingleTimer(("replace", ++_serial), Replace.Instance, _replaceAfter);
            else Spawn();
        });
        Receive<Replace>(_ => Spawn());
    }

    public static Props Props(IActorRef coordinator, int workers, Func<IBlockProcessor> makeProcessor, TimeSpan replaceAfter) =>
        Akka.Actor.Props.Create(() => new WorkerPool(coordinator, workers, makeProcessor, replaceAfter));

    // Infrastructure faults inside a worker actor restart it (it re-registers in PreStart); block errors never get here.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: 10, withinTimeRange: TimeSpan.FromMinutes(1), localOnlyDecider: _ => Directive.Restart);

    private void Spawn()
    {
        var w = Context.ActorOf(InferenceWorker.Props(_coordinator, _makeProcessor), $"worker-{++_serial}");
        Context.Watch(w);
    }

    private sealed class Replace
    {
        public static readonly Replace Instance = new();
    }
}
