using Ffn.Model.Geometry;

namespace Ffn.Model.Inference;

/// <summary>
/// One seed the canvas ran the FFN from. Outcome: the new segment id, or <see cref="WeakSeed"/> (the seed voxel
/// fell below the move threshold) or <see cref="TooSmall"/> (fewer than min_segment_size new voxels).
/// </summary>
public readonly record struct SeedAttempt(Vec3i Seed, int Outcome, long Voxels, int NetworkEvaluations)
{
    public const int WeakSeed = -1;
    public const int TooSmall = -2;
}
