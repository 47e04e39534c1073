using Akka.Actor;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Workers;

/// <summary>
/// Keeps N inference workers alive on this node, each in a slot bound to one device: a worker that stops (abandoned
/// after a deadline, or crashed past its restart budget) is replaced on the same device after a delay, and the new
/// one registers with the coordinator by itself.
/// </summary>
public sealed class WorkerPool : ReceiveActor, IWithTimers
{
    private readonly IActorRef _coordinator;
    private readonly BlockProcessorFactory _makeProcessor;
    private readonly WorkerPoolSettings _settings;
    private readonly IActorRef _log;
    private readonly InFlightBlocks? _inFlight;
    private int _serial;
    private readonly Dictionary<IActorRef, int> _slots = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkerPool(IActorRef coordinator, BlockProcessorFactory makeProcessor, WorkerPoolSettings settings, IActorRef log, InFlightBlocks? inFlight)
    {
        _coordinator = coordinator;
        _makeProcessor = makeProcessor;
        _settings = settings;
        _log = log;
        _inFlight = inFlight;
        for (int i = 0; i < settings.Workers; i++) Spawn(i);
        Receive<Terminated>(t =>
        {
            if (!_slots.Remove(t.ActorRef, out var slot)) return;
            if (_settings.ReplaceDelay > TimeSpan.Zero) Timers.StartSingleTimer(("replace", ++_serial), new Replace(slot), _settings.ReplaceDelay);
            else Spawn(slot);
        });
        Receive<Replace>(r => Spawn(r.Slot));
    }

    /// <param name="log">Where the workers' lines go (this node's <see cref="LineLog"/>, or the run's client).</param>
    public static Props Props(IActorRef coordinator, BlockProcessorFactory makeProcessor, WorkerPoolSettings settings, IActorRef log,
        InFlightBlocks? inFlight = null) =>
        Akka.Actor.Props.Create(() => new WorkerPool(coordinator, makeProcessor, settings, log, inFlight));

    // Infrastructure faults inside a worker actor restart it (it re-registers in PreStart); block errors never get here.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_settings.MaxRestarts, _settings.RestartWindow, localOnlyDecider: _ => Directive.Restart);

    private void Spawn(int slot)
    {
        var device = _settings.DeviceOf(slot);
        var w = Context.ActorOf(InferenceWorker.Props(_coordinator, _makeProcessor, _settings.RequestInterval, _log, _inFlight, device), $"worker-{++_serial}");
        Context.Watch(w);
        _slots[w] = slot;
    }

    private sealed record Replace(int Slot);
}
