using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>How every block of a run is segmented: everything that decides a block's result bytes.</summary>
public sealed record SegmentationSettings
{
    public required VolumeSpec Image { get; init; }
    public required string ModelPath { get; init; }
    public required Vec3i Deltas { get; init; }
    public double ImageMean { get; init; } = 128;
    public double ImageStddev { get; init; } = 33;

    /// <summary>The seed's per-block int(mean), int(std) instead of the fixed mean/stddev.</summary>
    public bool PerBlockNormalization { get; init; }

    public InferenceOptions Options { get; init; } = new();
    public string SeedPolicy { get; init; } = "PolicyPeaks";
    public Vec3i VoxelSize { get; init; } = Vec3i.One;
    public int BatchCanvases { get; init; } = 1;

    /// <summary>Also seed in the context margin (objects there are then segmented by both neighbours; slower).</summary>
    public bool SeedInContext { get; init; }

    /// <summary>Seconds between in-block checkpoints, so a killed run resumes inside a long block (0 = none).</summary>
    public double CheckpointInterval { get; init; }
}
