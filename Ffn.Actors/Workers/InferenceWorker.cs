using Akka.Actor;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Workers;

/// <summary>
/// Pulls blocks from the coordinator and runs each on a dedicated thread (never on the dispatcher), so the actor
/// keeps answering while a canvas runs for minutes. Its processor (and model) is made once per run and reused.
/// Any exception in a block becomes <see cref="BlockFailed"/>: the coordinator decides about retries. Replies go
/// to whoever assigned the block; requests go to the coordinator address it was given (in a cluster, the
/// singleton proxy), again every <c>requestEvery</c> while idle so a coordinator that moved finds it.
/// </summary>
public sealed class InferenceWorker : ReceiveActor, IWithTimers
{
    private readonly IActorRef _coordinator;
    private readonly BlockProcessorFactory _makeProcessor;
    private readonly TimeSpan _requestEvery;
    private readonly IActorRef _log;
    private readonly string _id;
    private readonly InFlightBlocks? _inFlight;
    private readonly string _device;
    private (string RunId, IBlockProcessor Processor)? _processor;
    private CancellationTokenSource? _cancel;
    // The current block's thread, until this worker has taken its Finished.
    private Task<Finished>? _block;
    private (AssignBlock Block, IActorRef From)? _current;
    private readonly System.Diagnostics.Stopwatch _idle = System.Diagnostics.Stopwatch.StartNew();

    public ITimerScheduler Timers { get; set; } = null!;

    public InferenceWorker(IActorRef coordinator, BlockProcessorFactory makeProcessor, TimeSpan requestEvery, IActorRef log, InFlightBlocks? inFlight,
        string device)
    {
        _device = device;
        _log = log;
        _inFlight = inFlight;
        _coordinator = coordinator;
        _makeProcessor = makeProcessor;
        _requestEvery = requestEvery;
        _id = Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
        Receive<AssignBlock>(OnAssign);
        Receive<Finished>(OnFinished);
        Receive<AbandonBlock>(m =>
        {
            if (_current is not { } c || c.Block.BlockId != m.BlockId || c.Block.Attempt != m.Attempt) return;
            // A hung block: cancel it and stop, so the pool starts a fresh worker with a fresh processor.
            Context.Stop(Self);
        });
        Receive<NoMoreWork>(_ => { });
        Receive<Ask>(_ =>
        {
            if (_current == null) _coordinator.Tell(new RequestWork(_id));
        });
    }

    /// <param name="log">Where this worker's lines go (this node's <see cref="LineLog"/>, or the run's client).</param>
    /// <param name="device">Where this worker's model lives and runs (cpu, cuda:N).</param>
    public static Props Props(IActorRef coordinator, BlockProcessorFactory makeProcessor, TimeSpan requestEvery, IActorRef log, InFlightBlocks? inFlight = null,
        string device = "cpu") =>
        Akka.Actor.Props.Create(() => new InferenceWorker(coordinator, makeProcessor, requestEvery, log, inFlight, device));

    protected override void PreStart()
    {
        _coordinator.Tell(new RequestWork(_id, Restarted: true));
        if (_requestEvery > TimeSpan.Zero) Timers.StartPeriodicTimer("ask", Ask.Instance, _requestEvery);
    }

    protected override void PostStop()
    {
        _cancel?.Cancel();
        var p = _processor?.Processor;
        if (_block is not { } block)
        {
            p?.Dispose();
            return;
        }
        // The block may still be inside the network: its thread disposes the models (this worker's and one the block
        // made) when it lets go, and whoever owns the process waits for that (InFlightBlocks) before exiting.
        var released = block.ContinueWith(t =>
        {
            p?.Dispose();
            if (t.IsCompletedSuccessfully) t.Result.NewProcessor?.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _inFlight?.Add(released);
    }

    private void OnAssign(AssignBlock m)
    {
        if (_current != null)
        {
            Sender.Tell(new BlockFailed(m.RunId, m.BlockId, m.Attempt, _id, "worker was busy", 0));
            return;
        }
        _current = (m, Sender);
        // Idle time between handing in a block and getting the next: the pull protocol's overhead per block.
        _log.Tell(new LogLine($"{Self.Path.Name} ({_device}): block {m.BlockId} attempt {m.Attempt} of run {m.RunId} started after {_idle.Elapsed.TotalMilliseconds:F0} ms idle"));
        _cancel = new CancellationTokenSource();
        var token = _cancel.Token;
        var spec = m.Block;
        var self = Self;
        var cached = _processor;
        var device = _device;
        var block = Task.Factory.StartNew(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            IBlockProcessor? made = null;
            try
            {
                var p = cached is { } c && c.RunId == m.RunId ? c.Processor : made = _makeProcessor(m.Job.Settings, m.Job.RunDir, device);
                return new Finished(m, p.Process(spec, token), null, clock.Elapsed.TotalSeconds, made);
            }
            catch (Exception e)
            {
                return new Finished(m, null, e, clock.Elapsed.TotalSeconds, made);
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _block = block;
        _inFlight?.Add(block);
        block.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) self.Tell(t.Result);
            else self.Tell(new Finished(m, null, (Exception?)t.Exception ?? new OperationCanceledException(), 0, null));
        }, TaskScheduler.Default);
    }

    private void OnFinished(Finished f)
    {
        if (f.NewProcessor is { } made)
        {
            // A new run's processor replaces the previous run's (one model in memory per worker).
            _processor?.Processor.Dispose();
            _processor = (f.Block.RunId, made);
        }
        var m = f.Block;
        if (_current is not { } c || c.Block.BlockId != m.BlockId || c.Block.Attempt != m.Attempt) return;
        _current = null;
        _block = null;
        _log.Tell(new LogLine($"{Self.Path.Name}: block {m.BlockId} attempt {m.Attempt} {(f.Outcome != null ? "committed" : "failed")} in {f.Seconds:F1} s"));
        if (f.Outcome is { } o)
            c.From.Tell(new BlockCompleted(m.RunId, m.BlockId, m.Attempt, _id, o.ResultPath, o.Objects, o.Counters, o.Seconds, _device));
        else
            c.From.Tell(new BlockFailed(m.RunId, m.BlockId, m.Attempt, _id, Describe(f.Error), f.Seconds));
        _coordinator.Tell(new RequestWork(_id));
        _idle.Restart();
    }

    private static string Describe(Exception? e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerException;
        return e == null ? "unknown error" : $"{e.GetType().Name}: {e.Message.Split('\n')[0].TrimEnd()}";
    }

    private sealed record Finished(AssignBlock Block, BlockOutcome? Outcome, Exception? Error, double Seconds, IBlockProcessor? NewProcessor);

    private sealed class Ask
    {
        public static readonly Ask Instance = new();
    }
}
