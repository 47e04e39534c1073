using System.Text.Json.Nodes;
using Akka.Actor;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Messages;
using Ffn.Actors.Stitcher;
using Ffn.Actors.Workers;
using Ffn.Model.Blocks;
using Ffn.Model.Stitching;

namespace Ffn.Actors;

/// <summary>Everything one run needs in one actor system; built from a <see cref="RunSpec"/> or by tests.</summary>
public sealed record RunRequest
{
    public required RunJob Job { get; init; }
    public required IReadOnlyList<BlockSpec> Blocks { get; init; }
    public required Func<BlockSpec, bool> IsEmpty { get; init; }
    public required Func<BlockAssembler> MakeAssembler { get; init; }
    public required StitchOutputs Outputs { get; init; }
    public Func<RunJob, IBlockProcessor>? MakeProcessor { get; init; }
    public int Workers { get; init; } = 1;
    public CoordinatorSettings Coordinator { get; init; } = new();
    public TimeSpan WorkerReplaceBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public Action<string>? Progress { get; init; }
    public JsonNode? Settings { get; init; }

    public BlockResultStore Store => new(Job.RunDir);

    public static RunRequest From(RunSpec spec, Func<RunJob, IBlockProcessor>? makeProcessor, int workers, Action<string>? progress)
    {
        var blocks = BlockGrid.Tile(spec.VolumeShape, spec.BlockShape, spec.Overlap, spec.Context, spec.Fov);
        return new RunRequest
        {
            Job = spec.Job,
            Blocks = blocks,
            IsEmpty = EmptyBlockCheck.ForVolumes(spec.Settings.Image, spec.Mask),
            MakeAssembler = () => new BlockAssembler(spec.VolumeShape, blocks.Select(b => new StitchBlock(b.Index, b.Core, b.Seg)).ToList(), spec.Merge),
            Outputs = new StitchOutputs(spec.H5Path, "segmentation", spec.TiffPath),
            MakeProcessor = makeProcessor,
            Workers = workers,
            Coordinator = spec.Coordinator,
            Progress = progress,
            Settings = JsonNode.Parse(spec.SettingsJson),
        };
    }

    /// <summary>Starts the stitcher and the coordinator (which reports to <paramref name="reportTo"/>) as children
    /// of <paramref name="parent"/>.</summary>
    public (IActorRef Coordinator, IActorRef Stitcher) StartCoordinator(IActorRefFactory parent, IActorRef reportTo, string prefix)
    {
        var store = Store;
        var blocks = Blocks;
        var stitcher = parent.ActorOf(Stitcher.Stitcher.Props(MakeAssembler(),
            (i, path) => path == null ? null : store.LoadSeg(blocks[i]), Outputs, Progress), $"{prefix}-stitcher");
        var coordinator = parent.ActorOf(RunCoordinator.Props(Job, Blocks, store, IsEmpty, stitcher, reportTo, Coordinator, Progress, Settings),
            $"{prefix}-coordinator");
        return (coordinator, stitcher);
    }
}

/// <summary>
/// Runs the pipeline in one actor system: stitcher, coordinator and a pool of workers, and waits for the
/// coordinator's verdict (<see cref="RunCompleted"/> or <see cref="RunAborted"/>).
/// </summary>
public static class LocalRun
{
    // Cancelled blocks stop at their next FoV step, so one forward pass is what a drain normally waits for.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<IFfnMessage> RunAsync(ActorSystem system, RunRequest r, CancellationToken cancel)
    {
        if (r.MakeProcessor == null) throw new ArgumentException("a local run needs a block processor");
        var done = new TaskCompletionSource<IFfnMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var prefix = $"run-{r.Job.RunId}";
        var watcher = system.ActorOf(Props.Create(() => new Waiter(done)), $"{prefix}-waiter");
        var (coordinator, stitcher) = r.StartCoordinator(system, watcher, prefix);
        var inFlight = new InFlightBlocks();
        var pool = system.ActorOf(WorkerPool.Props(coordinator, r.Workers, r.MakeProcessor, r.WorkerReplaceBackoff, inFlight: inFlight),
            $"{prefix}-workers");
        await using var reg = cancel.Register(() => done.TrySetCanceled(cancel));
        try
        {
            return await done.Task.ConfigureAwait(false);
        }
        finally
        {
            // Workers first, so no block is handed out while the rest stops.
            foreach (var a in new[] { pool, coordinator, stitcher, watcher })
            {
                try { await a.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
                catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { }
            }
            // Stopped workers' blocks may still be inside libtorch: the caller must not exit (or tear down) under them.
            int busy = await inFlight.DrainAsync(DrainTimeout).ConfigureAwait(false);
            if (busy > 0) r.Progress?.Invoke($"{busy} block thread(s) still busy after {DrainTimeout.TotalSeconds:F0} s; not waiting longer");
        }
    }

    private sealed class Waiter : ReceiveActor
    {
        public Waiter(TaskCompletionSource<IFfnMessage> done)
        {
            Receive<RunCompleted>(m => done.TrySetResult(m));
            Receive<RunAborted>(m => done.TrySetResult(m));
            Receive<RunProgressLine>(_ => { });
        }
    }
}
