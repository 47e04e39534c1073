namespace Ffn.Model.Blocks;

/// <summary>Where a block is in a run (daisy's task state, one value per block).</summary>
public enum BlockState
{
    /// <summary>Not yet checked for emptiness.</summary>
    Unchecked,
    Ready,
    /// <summary>Failed an attempt; waiting out its back-off before it is ready again.</summary>
    BackingOff,
    Running,
    Done,
    /// <summary>Committed by an earlier run in the same directory and reused.</summary>
    Reused,
    /// <summary>Nothing to segment (all-zero image or mask); counted and skipped.</summary>
    Empty,
    /// <summary>Failed every attempt.</summary>
    Failed,
}
