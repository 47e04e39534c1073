namespace Ffn.Model.Blocks;

/// <summary>What a run knows about one block; the summary is made of these.</summary>
public sealed class BlockRecord(BlockSpec spec)
{
    public BlockSpec Spec { get; } = spec;
    public BlockState State { get; internal set; } = BlockState.Unchecked;
    public int Attempts { get; internal set; }
    public string? Worker { get; internal set; }
    /// <summary>The device the block's committed attempt ran on (cpu, cuda:N).</summary>
    public string? Device { get; internal set; }
    public string? ResultPath { get; internal set; }
    public double Seconds { get; internal set; }
    public IReadOnlyDictionary<string, long>? Counters { get; internal set; }
    public List<string> Errors { get; } = [];

    public bool IsFinished => State is BlockState.Done or BlockState.Reused or BlockState.Empty or BlockState.Failed;
}
