using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// google/ffn's PolicyGrid3d: points on a regular grid of spacing <see cref="Step"/>, one full z-y-x sweep per
/// offset (a point (o, o, o) + Step·(i, j, k) for each offset o in turn), so early seeds cover the volume coarsely
/// and later offsets fill in between. Then limited to valid FoV centres. Deterministic and image-independent: the
/// fallback when no image-driven policy is wanted.
/// </summary>
public sealed class GridSeedPolicy : SeedPolicyBase
{
    public const string GoogleName = "PolicyGrid3d";

    /// <summary>Google's default offsets for step 16.</summary>
    public static readonly IReadOnlyList<int> DefaultOffsets = [0, 8, 4, 12, 2, 10, 14];

    public GridSeedPolicy(Vec3i shape, Vec3i margin, int step = 16, IReadOnlyList<int>? offsets = null)
        : base(shape, margin)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), "must be positive");
        Step = step;
        Offsets = [.. offsets ?? DefaultOffsets];
        if (Offsets.Any(o => o < 0)) throw new ArgumentOutOfRangeException(nameof(offsets), "must be non-negative");
    }

    public override string Name => GoogleName;
    public int Step { get; }
    public IReadOnlyList<int> Offsets { get; }

    protected override IReadOnlyList<Vec3i> ComputeCandidates()
    {
        var coords = new List<Vec3i>();
        foreach (var o in Offsets)
            for (int z = o; z < Shape.Z; z += Step)
            for (int y = o; y < Shape.Y; y += Step)
            for (int x = o; x < Shape.X; x += Step)
                coords.Add(new Vec3i(z, y, x));
        return coords;
    }
}
