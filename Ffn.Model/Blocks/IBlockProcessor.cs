namespace Ffn.Model.Blocks;

/// <summary>
/// Turns one block into a committed result file. Implementations own their model; one instance serves one worker
/// and is called from one thread at a time. Throwing means the attempt failed (the coordinator decides on retries).
/// </summary>
public interface IBlockProcessor : IDisposable
{
    BlockOutcome Process(BlockSpec block, CancellationToken cancel);
}

/// <summary>A committed block result and what producing it cost.</summary>
public sealed record BlockOutcome(string ResultPath, int Objects, IReadOnlyDictionary<string, long> Counters, double Seconds);
