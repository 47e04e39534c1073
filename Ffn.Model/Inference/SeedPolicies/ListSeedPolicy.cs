using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>Seeds from a given list (a saved candidate list, or points a user picked), in that order.</summary>
public sealed class ListSeedPolicy(IReadOnlyList<Vec3i> seeds) : ISeedPolicy
{
    public string Name => "PolicyList";

    public IReadOnlyList<Vec3i> Candidates { get; private set; } = seeds;

    public int Position { get; set; }

    public bool IsInitialized => true;

    public bool TryNext(out Vec3i seed)
    {
        if (Position < Candidates.Count)
        {
            seed = Candidates[Position++];
            return true;
        }
        seed = default;
        return false;
    }

    public void Restore(IReadOnlyList<Vec3i> candidates, int position)
    {
        Candidates = candidates;
        Position = position;
    }
}
