using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// Proposes seed positions (z, y, x) in order (google/ffn seed.py). Resumable: the candidate list is deterministic
/// and <see cref="Position"/> says how many have been consumed.
/// </summary>
public interface ISeedPolicy
{
    IReadOnlyList<Vec3i> Candidates { get; }

    int Position { get; set; }

    bool TryNext(out Vec3i seed);
}
