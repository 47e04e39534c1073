namespace Ffn.Model.Reporting;

/// <summary>What `ffn report` draws: where, which slices, and against which ground truth.</summary>
public sealed record ReportOptions
{
    /// <summary>The HTML file; slice PNGs go beside it as STEM_PLANE_AXISPOS.png.</summary>
    public required string OutputPath { get; init; }

    /// <summary>Ground truth PATH:dataset to score the segmentation against (null = no evaluation).</summary>
    public string? GroundTruth { get; init; }

    /// <summary>EM to draw under the segmentation (null = the run's input from run.json).</summary>
    public string? Image { get; init; }

    /// <summary>Slice positions as fractions of each axis.</summary>
    public IReadOnlyList<double> Positions { get; init; } = [0.25, 0.5, 0.75];

    /// <summary>Slices longer than this (voxels) are subsampled.</summary>
    public int MaxSide { get; init; } = 1024;

    public int EvalSlabDepth { get; init; } = 32;
}
