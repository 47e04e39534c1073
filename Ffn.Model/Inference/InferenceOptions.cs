using Ffn.Model.Geometry;

namespace Ffn.Model.Inference;

/// <summary>
/// Canvas settings (google/ffn's InferenceOptions proto). Probabilities here; the canvas converts them to logits
/// once, rounding through float32 as the proto fields do, so comparisons match Google's bit for bit.
/// </summary>
public sealed record InferenceOptions
{
    public double InitActivation { get; init; } = 0.95;
    public double PadValue { get; init; } = 0.05;
    public double MoveThreshold { get; init; } = 0.9;
    public double SegmentThreshold { get; init; } = 0.6;
    public int MinSegmentSize { get; init; } = 1000;

    /// <summary>Seeds closer than this (z, y, x) to an existing segment are skipped.</summary>
    public Vec3i MinBoundaryDist { get; init; } = new(1, 1, 1);

    /// <summary>
    /// Disconnected-seed bias: when more than this fraction of a prediction passes the move threshold, voxels whose
    /// previous logit was below 0 keep it wherever the new one is higher. Negative disables it; Google's default 0.
    /// </summary>
    public double DiscoSeedThreshold { get; init; }

    /// <summary>
    /// FFN-PyTorch's self-consistency re-evaluation (removed from google/ffn in 2024): re-run the network on its own
    /// output until the mean absolute probability change is below this. 0 = off (Google's current behaviour).
    /// </summary>
    public double DiffThreshold { get; init; }

    public int MaxSelfConsistentIters { get; init; } = 32;

    /// <summary>Keep a uint8-quantized probability map of the accepted objects (Google's 'prob' output).</summary>
    public bool KeepProbabilityMap { get; init; }

    public void Validate()
    {
        foreach (var (name, v) in new[] { ("init-act", InitActivation), ("pad-value", PadValue), ("move-threshold", MoveThreshold), ("seg-threshold", SegmentThreshold) })
            if (!(v > 0 && v < 1)) throw new InputException($"--{name} must be in (0, 1), got {v}");
        FiniteSetting.Require("--diff-threshold", DiffThreshold);
        FiniteSetting.Require("--disco-seed-threshold", DiscoSeedThreshold);
        if (MinSegmentSize < 0) throw new InputException($"--min-seg-size must be >= 0, got {MinSegmentSize}");
        if (MinBoundaryDist.Z < 0 || MinBoundaryDist.Y < 0 || MinBoundaryDist.X < 0)
            throw new InputException($"--min-bound-dist must be >= 0, got {MinBoundaryDist}");
        if (DiffThreshold < 0) throw new InputException($"--diff-threshold must be >= 0, got {DiffThreshold}");
        if (MaxSelfConsistentIters < 1) throw new InputException("max self-consistent iterations must be >= 1");
    }
}
