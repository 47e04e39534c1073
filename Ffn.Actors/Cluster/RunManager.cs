using Akka.Actor;
using Akka.Event;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Cluster;

/// <summary>
/// The cluster singleton (role coordinator): owns the current run's coordinator and stitcher, hands workers'
/// requests to it, parks them between runs. A run is (re)started by <see cref="SubmitRun"/>: after a fail-over the
/// submitter's next resubmission starts it here, and the coordinator rebuilds its state from the committed blocks.
/// The run's progress lines go to this node's log and on to the submitter. A run naming a file outside this node's
/// data roots is refused before anything is opened (its workers check again against their own roots).
/// </summary>
public sealed class RunManager : ReceiveActor
{
    private readonly IActorRef _log;
    private readonly DataRoots _roots;
    private readonly ILoggingAdapter _akkaLog = Context.GetLogger();
    private readonly Dictionary<string, IActorRef> _parked = [];
    // Verdicts of finished runs: a resubmission that crossed the verdict gets it again instead of a rerun.
    private readonly Dictionary<string, IFfnMessage> _finished = [];
    private Current? _run;

    public RunManager(IActorRef log, DataRoots roots)
    {
        _log = log;
        _roots = roots;
        Receive<CheckRun>(m => Sender.Tell(Refuse(m.Spec) ?? (IFfnMessage)new RunAllowed(m.Spec.RunId)));
        Receive<SubmitRun>(OnSubmit);
        Receive<RequestWork>(m =>
        {
            if (_run != null) _run.Coordinator.Forward(m);
            else _parked[m.WorkerId] = Sender;
        });
        Receive<RunProgressLine>(m =>
        {
            if (_run is not { } cur || cur.RunId != m.RunId) return;
            Log(m.Text);
            cur.ReportTo.Tell(m);
        });
        Receive<RunCompleted>(m => Finish(m, m.RunId, $"run {m.RunId} {(m.Complete ? "complete" : "INCOMPLETE")}; summary {m.SummaryPath}\n{PerNode(m.Summary)}"));
        Receive<RunAborted>(m => Finish(m, m.RunId, $"run {m.RunId} aborted: {m.Error}"));
    }

    /// <param name="log">This node's <see cref="LineLog"/>.</param>
    /// <param name="roots">The folders runs may read and write on this node.</param>
    public static Props Props(IActorRef log, DataRoots roots) => Akka.Actor.Props.Create(() => new RunManager(log, roots));

    private RunRefused? Refuse(RunSpec spec) =>
        _roots.Refusal(spec.Plan) is { } why ? new RunRefused(spec.RunId, $"{why} of the cluster's coordinator {Akka.Cluster.Cluster.Get(Context.System).SelfAddress}") : null;

    private void Log(string line) => _log.Tell(new LogLine(line));

    private void OnSubmit(SubmitRun m)
    {
        var spec = m.Spec;
        if (Refuse(spec) is { } refused)
        {
            Log($"run {spec.RunId}: refused: {refused.Error}");
            Sender.Tell(refused);
            return;
        }
        if (_finished.TryGetValue(spec.RunId, out var verdict))
        {
            Sender.Tell(verdict);
            return;
        }
        if (_run is { } cur)
        {
            if (cur.RunId == spec.RunId)
            {
                _run = cur with { ReportTo = Sender };
                Sender.Tell(new RunAccepted(spec.RunId));
            }
            else Sender.Tell(new RunAborted(spec.RunId, $"the cluster is busy with run {cur.RunId}; submit again when it is done"));
            return;
        }
        var runId = spec.RunId;
        // The coordinator writes the run directory (summary, final result; its workers the blocks): it holds the lock.
        RunDirectoryLock? runLock;
        string? busy;
        try
        {
            runLock = RunDirectoryLock.TryAcquire(spec.Plan.RunDir, out busy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            (runLock, busy) = (null, $"cannot lock it ({e.Message})");
        }
        if (runLock == null)
        {
            Sender.Tell(new RunAborted(runId, $"{spec.Plan.RunDir}: {busy}"));
            return;
        }
        var (coordinator, stitcher) = RunPipeline.Start(Context, spec, Self, $"run-{runId}-{Guid.NewGuid():N}"[..24]);
        _run = new Current(runId, coordinator, stitcher, Sender, runLock);
        Log($"run {runId}: started on {Akka.Cluster.Cluster.Get(Context.System).SelfAddress}: {spec.Plan.Blocks.Count} blocks in {spec.Plan.RunDir}");
        Sender.Tell(new RunAccepted(runId));
        foreach (var (id, worker) in _parked) coordinator.Tell(new RequestWork(id), worker);
        _parked.Clear();
    }

    private void Finish(IFfnMessage verdict, string runId, string line)
    {
        if (_run is not { } cur || cur.RunId != runId) return;
        Log(line);
        _finished[runId] = verdict;
        cur.ReportTo.Tell(verdict);
        Context.Stop(cur.Coordinator);
        Context.Stop(cur.Stitcher);
        cur.Lock.Dispose();
        _run = null;
    }

    protected override void PostStop() => _run?.Lock.Dispose();

    /// <summary>Blocks and seconds per node (the address part of the worker ids in the summary).</summary>
    private static string PerNode(RunSummary summary) => string.Join("\n", summary.Blocks
        .Where(b => b.State == "done" && b.Worker != null)
        .GroupBy(b => NodeOf(b.Worker!))
        .Select(g => $"  {g.Key}: {g.Count()} blocks, {g.Sum(b => b.Seconds):F1} s of block time, " +
                     $"{g.Count() / Math.Max(g.Sum(b => b.Seconds), 1e-9) * 60:F2} blocks/min"));

    public static string NodeOf(string workerId)
    {
        int i = workerId.IndexOf("/user/", StringComparison.Ordinal);
        return i > 0 ? workerId[..i] : workerId;
    }

    private sealed record Current(string RunId, IActorRef Coordinator, IActorRef Stitcher, IActorRef ReportTo, RunDirectoryLock Lock);
}
