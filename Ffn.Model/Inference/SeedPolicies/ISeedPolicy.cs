using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// Proposes seed positions (z, y, x, subvolume coordinates) for the canvas, like google/ffn's seed policies: an
/// ordered candidate list computed once, on first use, and a cursor into it. The pair (candidates, position) is the
/// resumable state (Google's <c>get_state</c>/<c>set_state</c>).
/// </summary>
public interface ISeedPolicy
{
    /// <summary>google/ffn's class name of this policy (e.g. "PolicyPeaks").</summary>
    string Name { get; }

    /// <summary>The next candidate, advancing <see cref="Position"/>; false when all are consumed.</summary>
    bool TryNext(out Vec3i seed);

    /// <summary>Index of the next candidate <see cref="TryNext"/> returns (Google's <c>idx</c>).</summary>
    int Position { get; set; }

    /// <summary>All candidates in consumption order, already limited to valid FoV centres; computes them if needed.</summary>
    IReadOnlyList<Vec3i> Candidates { get; }

    /// <summary>Whether the candidates have been computed or restored.</summary>
    bool IsInitialized { get; }

    /// <summary>Restores a saved state without recomputing (candidates are taken as given, already filtered).</summary>
    void Restore(IReadOnlyList<Vec3i> candidates, int position);
}
