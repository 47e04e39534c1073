using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// Keeps another policy's candidates that lie inside a region (subvolume coordinates), in the same order. A block
/// is read with a context margin so FoVs can centre on its edge voxels; seeding only inside the block's own box
/// stops the canvas from segmenting objects that live only in that margin (a neighbour's job).
/// </summary>
public sealed class RegionSeedPolicy(ISeedPolicy inner, Box3 region) : ISeedPolicy
{
    private IReadOnlyList<Vec3i>? _candidates;

    public string Name => inner.Name;

    public IReadOnlyList<Vec3i> Candidates => _candidates ??= inner.Candidates.Where(region.Contains).ToList();

    public int Position { get; set; }

    public bool IsInitialized => _candidates != null;

    public bool TryNext(out Vec3i seed)
    {
        var c = Candidates;
        if (Position < c.Count)
        {
            seed = c[Position++];
            return true;
        }
        seed = default;
        return false;
    }

    public void Restore(IReadOnlyList<Vec3i> candidates, int position)
    {
        _candidates = candidates;
        Position = position;
    }
}
