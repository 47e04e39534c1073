using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Coordinator;

/// <summary>
/// Runs one block-wise segmentation: reuses committed blocks, checks the rest for emptiness, hands blocks to
/// workers that ask (pull), keeps deadlines and retries, forwards finished blocks to the stitcher, and reports
/// the summary when the stitcher is done. The decisions live in <see cref="BlockScheduler"/>; this is transport.
/// Progress lines and the verdict go to whoever started the run (<c>reportTo</c>).
/// </summary>
public sealed class RunCoordinator : ReceiveActor, IWithTimers
{
    private readonly string _runId;
    private readonly RunJob _job;
    private readonly BlockScheduler _scheduler;
    private readonly BlockResultStore _store;
    private readonly Func<BlockSpec, bool> _isEmpty;
    private readonly IActorRef _stitcher;
    private readonly IActorRef _reportTo;
    private readonly CoordinatorSettings _settings;
    private readonly RunSettings? _runSettings;
    private readonly Dictionary<string, IActorRef> _workers = [];
    private readonly HashSet<string> _idle = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _cancel = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _stitching;

    public ITimerScheduler Timers { get; set; } = null!;

    public RunCoordinator(RunJob job, IReadOnlyList<BlockSpec> blocks, BlockResultStore store, Func<BlockSpec, bool> isEmpty,
        IActorRef stitcher, IActorRef reportTo, CoordinatorSettings settings, RunSettings? runSettings)
    {
        _job = job;
        _runId = job.RunId;
        _scheduler = new BlockScheduler(blocks, settings.MaxAttempts, settings.RetryBackoff, settings.RetryBackoffMax);
        _store = store;
        _isEmpty = isEmpty;
        _stitcher = stitcher;
        _reportTo = reportTo;
        _settings = settings;
        _runSettings = runSettings;

        Receive<RequestWork>(OnRequestWork);
        Receive<Checked>(OnChecked);
        Receive<BlockCompleted>(OnCompleted);
        Receive<BlockFailed>(OnFailed);
        Receive<DeadlineExpired>(OnDeadline);
        Receive<RetryReady>(m => { _scheduler.RetryReady(m.BlockId); Dispatch(); });
        Receive<Terminated>(OnTerminated);
        Receive<ProgressTick>(_ => Progress(RunProgress.Line(_scheduler, _clock.Elapsed.TotalSeconds)));
        Receive<StitchCompleted>(OnStitched);
        Receive<StitchFailed>(m => Abort($"stitching failed: {m.Error}"));
        Receive<CheckFailed>(m => Abort(m.Error));
    }

    public static Props Props(RunJob job, IReadOnlyList<BlockSpec> blocks, BlockResultStore store, Func<BlockSpec, bool> isEmpty,
        IActorRef stitcher, IActorRef reportTo, CoordinatorSettings settings, RunSettings? runSettings = null) =>
        Akka.Actor.Props.Create(() => new RunCoordinator(job, blocks, store, isEmpty, stitcher, reportTo, settings, runSettings));

    private void Progress(string line) => _reportTo.Tell(new RunProgressLine(_runId, line));

    protected override void PreStart()
    {
        var unchecked_ = new List<BlockSpec>();
        foreach (var b in _scheduler.Blocks.Select(r => r.Spec))
        {
            if (_store.IsCommitted(b))
            {
                _scheduler.MarkReused(b.Index, _store.ResultPath(b), _store.ReadCounters(b));
                _stitcher.Tell(new BlockReady(_runId, b.Index, _store.ResultPath(b)));
            }
            else unchecked_.Add(b);
        }
        if (_scheduler.Count - unchecked_.Count > 0) Progress($"reusing {_scheduler.Count - unchecked_.Count} committed block(s) from {_store.BlocksDir}");

        // Emptiness checks read image data: off the mailbox, one block at a time, results as messages.
        var self = Self;
        var token = _cancel.Token;
        Task.Factory.StartNew(() =>
        {
            foreach (var b in unchecked_)
            {
                if (token.IsCancellationRequested) return;
                try { self.Tell(new Checked(b.Index, _isEmpty(b))); }
                catch (Exception e) { self.Tell(new CheckFailed($"checking block {b.Name} for emptiness: {e.Message}")); return; }
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        if (_settings.ProgressInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer("progress", ProgressTick.Instance, _settings.ProgressInterval);
        MaybeFinish();
    }

    protected override void PostStop() => _cancel.Cancel();

    private void OnRequestWork(RequestWork m)
    {
        if (!_workers.TryGetValue(m.WorkerId, out var known) || !known.Equals(Sender))
        {
            _workers[m.WorkerId] = Sender;
            Context.Watch(Sender);
        }
        var holding = _scheduler.InFlightFor(m.WorkerId);
        if (holding.Count > 0)
        {
            // An idle worker's periodic re-request can cross our assignment: it only counts after a restart.
            if (!m.Restarted) return;
            foreach (var lost in holding)
                FailAttempt(lost.Spec.Index, lost.Attempt, m.WorkerId, "worker restarted while running the block", 0);
        }
        if (_stitching)
        {
            Sender.Tell(new NoMoreWork(_runId));
            return;
        }
        _idle.Add(m.WorkerId);
        Dispatch();
    }

    private void Dispatch()
    {
        foreach (var w in _idle.Order(StringComparer.Ordinal).ToList())
        {
            if (!_scheduler.HasReady) break;
            var a = _scheduler.Acquire(w)!;
            _idle.Remove(w);
            var s = a.Spec;
            _workers[w].Tell(new AssignBlock(_job, s, a.Attempt));
            if (_settings.BlockDeadline > TimeSpan.Zero)
                Timers.StartSingleTimer(("deadline", s.Index), new DeadlineExpired(s.Index, a.Attempt, w), _settings.BlockDeadline);
        }
    }

    private void OnChecked(Checked m)
    {
        if (_scheduler.Blocks[m.BlockId].State != BlockState.Unchecked) return;
        _scheduler.MarkChecked(m.BlockId, m.Empty);
        if (m.Empty)
        {
            Progress($"block {_scheduler.Blocks[m.BlockId].Spec.Name}: empty, skipped");
            _stitcher.Tell(new BlockReady(_runId, m.BlockId, null));
            MaybeFinish();
        }
        else Dispatch();
    }

    private void OnCompleted(BlockCompleted m)
    {
        if (m.RunId != _runId || !_scheduler.IsExpected(m.BlockId, m.Attempt, m.WorkerId))
        {
            _log.Warning("dropping an unexpected result for block {0} attempt {1} from {2}", m.BlockId, m.Attempt, m.WorkerId);
            return;
        }
        Timers.Cancel(("deadline", m.BlockId));
        _scheduler.Complete(m.BlockId, m.Attempt, m.WorkerId, m.ResultPath, m.Seconds, m.Counters, m.Device);
        var spec = _scheduler.Blocks[m.BlockId].Spec;
        Progress($"block {spec.Name}: {m.Objects} objects in {m.Seconds:F1} s on {ShortName(m.WorkerId)}{(m.Device is { } d ? $" ({d})" : "")} (attempt {m.Attempt})");
        _stitcher.Tell(new BlockReady(_runId, m.BlockId, m.ResultPath));
        MaybeFinish();
    }

    private void OnFailed(BlockFailed m)
    {
        if (m.RunId != _runId || !_scheduler.IsExpected(m.BlockId, m.Attempt, m.WorkerId))
        {
            _log.Warning("dropping an unexpected failure for block {0} attempt {1} from {2}", m.BlockId, m.Attempt, m.WorkerId);
            return;
        }
        Timers.Cancel(("deadline", m.BlockId));
        FailAttempt(m.BlockId, m.Attempt, m.WorkerId, m.Error, m.Seconds);
    }

    private void OnDeadline(DeadlineExpired m)
    {
        if (!_scheduler.IsExpected(m.BlockId, m.Attempt, m.WorkerId)) return;
        FailAttempt(m.BlockId, m.Attempt, m.WorkerId, $"no result within the block deadline of {_settings.BlockDeadline.TotalSeconds:F0} s", _settings.BlockDeadline.TotalSeconds);
        // The worker's thread may be stuck in native code: it is told to give up and gets replaced by its pool.
        if (_workers.TryGetValue(m.WorkerId, out var w)) w.Tell(new AbandonBlock(_runId, m.BlockId, m.Attempt));
    }

    private void OnTerminated(Terminated m)
    {
        var id = _workers.FirstOrDefault(kv => kv.Value.Equals(m.ActorRef)).Key;
        if (id == null) return;
        _workers.Remove(id);
        _idle.Remove(id);
        foreach (var lost in _scheduler.InFlightFor(id))
        {
            Timers.Cancel(("deadline", lost.Spec.Index));
            FailAttempt(lost.Spec.Index, lost.Attempt, id, "worker stopped while running the block", 0);
        }
    }

    private void FailAttempt(int block, int attempt, string worker, string error, double seconds)
    {
        var name = _scheduler.Blocks[block].Spec.Name;
        var backoff = _scheduler.Fail(block, attempt, worker, error, seconds);
        if (backoff is { } delay)
        {
            Progress($"block {name}: attempt {attempt} failed ({error}); retrying in {delay.TotalSeconds:F1} s");
            Timers.StartSingleTimer(("retry", block), new RetryReady(block), delay);
        }
        else
        {
            Progress($"block {name}: failed after {attempt} attempt(s): {error}");
            MaybeFinish();
        }
    }

    private void MaybeFinish()
    {
        if (_stitching || !_scheduler.IsFinished) return;
        _stitching = true;
        Timers.Cancel("progress");
        Progress(RunProgress.Line(_scheduler, _clock.Elapsed.TotalSeconds));
        foreach (var w in _idle) _workers[w].Tell(new NoMoreWork(_runId));
        _idle.Clear();
        _stitcher.Tell(new FinishStitch(_runId));
    }

    private void OnStitched(StitchCompleted m)
    {
        var summary = RunSummary.Of(_scheduler, _clock.Elapsed.TotalSeconds, m.Summary, _runSettings);
        var path = summary.Write(_store.RunDir);
        _reportTo.Tell(new RunCompleted(_runId, _scheduler.CountIn(BlockState.Failed) == 0, path, summary));
    }

    private void Abort(string error)
    {
        _cancel.Cancel();
        _reportTo.Tell(new RunAborted(_runId, error));
        Context.Stop(Self);
    }

    private static string ShortName(string workerId) => workerId[(workerId.LastIndexOf('/') + 1)..];

    private sealed record Checked(int BlockId, bool Empty);
    private sealed record CheckFailed(string Error);
    private sealed record DeadlineExpired(int BlockId, int Attempt, string WorkerId);
    private sealed record RetryReady(int BlockId);
    private sealed class ProgressTick
    {
        public static readonly ProgressTick Instance = new();
    }
}
