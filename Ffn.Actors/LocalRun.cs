using Akka.Actor;
using Ffn.Actors.Messages;
using Ffn.Actors.Workers;
using Ffn.Model.Blocks;

namespace Ffn.Actors;

/// <summary>
/// A run in one actor system: the <see cref="RunPipeline"/>, a pool of workers and a <see cref="RunClient"/> that
/// prints progress and returns the verdict (<see cref="RunCompleted"/> or <see cref="RunAborted"/>).
/// </summary>
public static class LocalRun
{
    /// <param name="isEmpty">Replaces the check of the input (and mask) for emptiness (tests).</param>
    public static async Task<IFfnMessage> RunAsync(ActorSystem system, RunSpec spec, BlockProcessorFactory processors, WorkerPoolSettings workers,
        Action<string> progress, CancellationToken cancel, Func<BlockSpec, bool>? isEmpty = null)
    {
        var prefix = $"run-{spec.RunId}";
        var client = RunClient.Start(system, spec.RunId, progress, $"{prefix}-client");
        var (coordinator, stitcher) = RunPipeline.Start(system, spec, client.Ref, prefix, isEmpty);
        var inFlight = new InFlightBlocks();
        var pool = system.ActorOf(WorkerPool.Props(coordinator, processors, workers, client.Ref, inFlight), $"{prefix}-workers");
        try
        {
            return await client.Verdict.WaitAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            // Workers first, so no block is handed out while the rest stops.
            foreach (var a in new[] { pool, coordinator, stitcher, client.Ref })
            {
                try { await a.GracefulStop(workers.StopTimeout).ConfigureAwait(false); }
                catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { }
            }
            // Stopped workers' blocks may still be inside libtorch: the caller must not exit (or tear down) under them.
            int busy = await inFlight.DrainAsync(workers.DrainTimeout).ConfigureAwait(false);
            if (busy > 0) progress($"{busy} block thread(s) still busy after {workers.DrainTimeout.TotalSeconds:F0} s; not waiting longer");
        }
    }
}
