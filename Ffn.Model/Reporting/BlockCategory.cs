namespace Ffn.Model.Reporting;

/// <summary>What the block map shows for a block: how its run went, from summary.json's state and attempts.</summary>
public enum BlockCategory
{
    /// <summary>All-zero image or mask: skipped.</summary>
    Empty,
    Done,
    /// <summary>Done, but only after one or more failed attempts.</summary>
    Retried,
    /// <summary>Committed by an earlier run in the same directory.</summary>
    Reused,
    Failed,
    /// <summary>Never finished (an aborted or cancelled run).</summary>
    Pending,
}

public static class BlockCategories
{
    public static BlockCategory Category(this Blocks.BlockSummary b) => b.State switch
    {
        "empty" => BlockCategory.Empty,
        "failed" => BlockCategory.Failed,
        "reused" => BlockCategory.Reused,
        "done" => b.Attempts > 1 ? BlockCategory.Retried : BlockCategory.Done,
        _ => BlockCategory.Pending,
    };
}
