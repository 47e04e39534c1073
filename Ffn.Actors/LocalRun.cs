using System.Text.Json.Nodes;
using Akka.Actor;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Messages;
using Ffn.Actors.Stitcher;
using Ffn.Actors.Workers;
using Ffn.Model.Blocks;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Actors;

/// <summary>Everything one run on one node needs; built by the host from flags and HOCON.</summary>
public sealed record RunRequest
{
    public required string RunId { get; init; }
    public required IReadOnlyList<BlockSpec> Blocks { get; init; }
    public required BlockResultStore Store { get; init; }
    public required Func<BlockSpec, bool> IsEmpty { get; init; }
    public required Func<BlockAssembler> MakeAssembler { get; init; }
    public required StitchOutputs Outputs { get; init; }
    public required Func<IBlockProcessor> MakeProcessor { get; init; }
    public int Workers { get; init; } = 1;
    public CoordinatorSettings Coordinator { get; init; } = new();
    public TimeSpan WorkerReplaceBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public Action<string>? Progress { get; init; }
    public JsonNode? Settings { get; init; }
}

/// <summary>
/// Runs the pipeline in one actor system: stitcher, coordinator and a pool of workers, and waits for the
/// coordinator's verdict (<see cref="RunCompleted"/> or <see cref="RunAborted"/>).
/// </summary>
public static class LocalRun
{
    public static async Task<IFfnMessage> RunAsync(ActorSystem system, RunRequest r, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<IFfnMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = system.ActorOf(Props.Create(() => new Waiter(done)), $"run-{r.RunId}-waiter");
        var store = r.Store;
        var byIndex = r.Blocks;
        var stitcher = system.ActorOf(Stitcher.Stitcher.Props(r.MakeAssembler(),
            (i, path) => path == null ? null : store.LoadSeg(byIndex[i]), r.Outputs, r.Progress), $"run-{r.RunId}-stitcher");
        var coordinator = system.ActorOf(RunCoordinator.Props(r.RunId, r.Blocks, r.Store, r.IsEmpty, stitcher, watcher, r.Coordinator,
            r.Progress, r.Settings), $"run-{r.RunId}-coordinator");
        var pool = system.ActorOf(WorkerPool.Props(coordinator, r.Workers, r.MakeProcessor, r.WorkerReplaceBackoff), $"run-{r.RunId}-workers");
        await using var reg = cancel.Register(() => done.TrySetCanceled(cancel));
        try
        {
            return await done.Task.ConfigureAwait(false);
        }
        finally
        {
            foreach (var a in new[] { pool, coordinator, stitcher, watcher })
            {
                try { await a.GracefulStop(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
                catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { }
            }
        }
    }

    private sealed class Waiter : ReceiveActor
    {
        public Waiter(TaskCompletionSource<IFfnMessage> done)
        {
            Receive<RunCompleted>(m => done.TrySetResult(m));
            Receive<RunAborted>(m => done.TrySetResult(m));
        }
    }
}
