using Akka.Actor;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Workers;

/// <summary>
/// Keeps N inference workers alive on this node: a worker that stops (abandoned after a deadline, or crashed past
/// its restart budget) is replaced after a back-off, and the new one registers with the coordinator by itself.
/// </summary>
public sealed class WorkerPool : ReceiveActor, IWithTimers
{
    private readonly IActorRef _coordinator;
    private readonly Func<RunJob, IBlockProcessor> _makeProcessor;
    private readonly TimeSpan _requestEvery;
    private readonly Action<string>? _log;
    private readonly TimeSpan _replaceAfter;
    private readonly InFlightBlocks? _inFlight;
    private int _serial;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkerPool(IActorRef coordinator, int workers, Func<RunJob, IBlockProcessor> makeProcessor, TimeSpan replaceAfter, TimeSpan requestEvery,
        Action<string>? log, InFlightBlocks? inFlight)
    {
        _log = log;
        _inFlight = inFlight;
        _coordinator = coordinator;
        _makeProcessor = makeProcessor;
        _replaceAfter = replaceAfter;
        _requestEvery = requestEvery;
        for (int i = 0; i < workers; i++) Spawn();
        Receive<Terminated>(_ =>
        {
            if (_replaceAfter > TimeSpan.Zero) Timers.StartSingleTimer(("replace", ++_serial), Replace.Instance, _replaceAfter);
            else Spawn();
        });
        Receive<Replace>(_ => Spawn());
    }

    public static Props Props(IActorRef coordinator, int workers, Func<RunJob, IBlockProcessor> makeProcessor, TimeSpan replaceAfter,
        TimeSpan requestEvery = default, Action<string>? log = null, InFlightBlocks? inFlight = null) =>
        Akka.Actor.Props.Create(() => new WorkerPool(coordinator, workers, makeProcessor, replaceAfter, requestEvery, log, inFlight));

    // Infrastructure faults inside a worker actor restart it (it re-registers in PreStart); block errors never get here.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: 10, withinTimeRange: TimeSpan.FromMinutes(1), localOnlyDecider: _ => Directive.Restart);

    private void Spawn()
    {
        var w = Context.ActorOf(InferenceWorker.Props(_coordinator, _makeProcessor, _requestEvery, _log, _inFlight), $"worker-{++_serial}");
        Context.Watch(w);
    }

    private sealed class Replace
    {
        public static readonly Replace Instance = new();
    }
}
