using Akka.Actor;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Workers;

/// <summary>
/// Pulls blocks from the coordinator and runs each on a dedicated thread (never on the dispatcher), so the actor
/// keeps answering while a canvas runs for minutes. Its processor (and model) is made once and reused.
/// Any exception in a block becomes <see cref="BlockFailed"/>: the coordinator decides about retries.
/// </summary>
public sealed class InferenceWorker : ReceiveActor
{
    private readonly IActorRef _coordinator;
    private readonly Func<IBlockProcessor> _makeProcessor;
    private readonly string _id;
    private IBlockProcessor? _processor;
    private CancellationTokenSource? _cancel;
    private Task? _running;
    private (string RunId, int BlockId, int Attempt)? _current;

    public InferenceWorker(IActorRef coordinator, Func<IBlockProcessor> makeProcessor)
    {
        _coordinator = coordinator;
        _makeProcessor = makeProcessor;
        _id = Self.Path.ToStringWithAddress();
        Receive<AssignBlock>(OnAssign);
        Receive<Finished>(OnFinished);
        Receive<AbandonBlock>(m =>
        {
            if (_current is not { } c || c.BlockId != m.BlockId || c.Attempt != m.Attempt) return;
            // A hung block: cancel it and stop, so the pool starts a fresh worker with a fresh processor.
            Context.Stop(Self);
        });
        Receive<NoMoreWork>(_ => { });
    }

    public static Props Props(IActorRef coordinator, Func<IBlockProcessor> makeProcessor) =>
        Akka.Actor.Props.Create(() => new InferenceWorker(coordinator, makeProcessor));

    protected override void PreStart() => _coordinator.Tell(new RequestWork(_id));

    protected override void PostStop()
    {
        _cancel?.Cancel();
        var p = _processor;
        // The model may still be in use by an abandoned block: dispose it when that thread lets go.
        if (_running is { IsCompleted: false } t) t.ContinueWith(_ => p?.Dispose(), TaskScheduler.Default);
        else p?.Dispose();
    }

    private void OnAssign(AssignBlock m)
    {
        if (_current != null)
        {
            _coordinator.Tell(new BlockFailed(m.RunId, m.BlockId, m.Attempt, _id, "worker was busy", 0));
            return;
        }
        _current = (m.RunId, m.BlockId, m.Attempt);
        _cancel = new CancellationTokenSource();
        var token = _cancel.Token;
        var spec = new BlockSpec(m.BlockId, default, m.Core, m.Seg, m.Read);
        var self = Self;
        _running = Task.Factory.StartNew(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                _processor ??= _makeProcessor();
                return new Finished(m, _processor.Process(spec, token), null, clock.Elapsed.TotalSeconds);
            }
            catch (Exception e)
            {
                return new Finished(m, null, e, clock.Elapsed.TotalSeconds);
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) self.Tell(t.Result);
            else self.Tell(new Finished(m, null, (Exception?)t.Exception ?? new OperationCanceledException(), 0));
        }, TaskScheduler.Default);
    }

    private void OnFinished(Finished f)
    {
        var m = f.Block;
        if (_current is not { } c || c.BlockId != m.BlockId || c.Attempt != m.Attempt) return;
        _current = null;
        _running = null;
        if (f.Outcome is { } o)
            _coordinator.Tell(new BlockCompleted(m.RunId, m.BlockId, m.Attempt, _id, o.ResultPath, o.Objects, o.Counters, o.Seconds));
        else
            _coordinator.Tell(new BlockFailed(m.RunId, m.BlockId, m.Attempt, _id, Describe(f.Error), f.Seconds));
        _coordinator.Tell(new RequestWork(_id));
    }

    private static string Describe(Exception? e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerException;
        return e == null ? "unknown error" : $"{e.GetType().Name}: {e.Message.Split('\n')[0].TrimEnd()}";
    }

    private sealed record Finished(AssignBlock Block, BlockOutcome? Outcome, Exception? Error, double Seconds);
}
