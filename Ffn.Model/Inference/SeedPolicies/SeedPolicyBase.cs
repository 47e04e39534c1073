using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// google/ffn's BaseSeedPolicy: computes the raw candidates lazily on the first request, then keeps only those
/// whose whole FoV fits in the subvolume (<c>c - margin &gt;= 0</c> and <c>c + margin &lt; shape</c> on every
/// axis), preserving their order.
/// </summary>
public abstract class SeedPolicyBase : ISeedPolicy
{
    private Vec3i[]? _candidates;
    private int _position;

    protected SeedPolicyBase(Vec3i shape, Vec3i margin)
    {
        if (shape.Z < 0 || shape.Y < 0 || shape.X < 0) throw new ArgumentException($"negative shape {shape}");
        if (margin.Z < 0 || margin.Y < 0 || margin.X < 0) throw new ArgumentException($"negative margin {margin}");
        Shape = shape;
        Margin = margin;
    }

    public abstract string Name { get; }

    /// <summary>Shape of the subvolume (the canvas).</summary>
    public Vec3i Shape { get; }

    /// <summary>Half the FoV (the canvas margin), e.g. (16, 16, 16) for a 33³ FoV.</summary>
    public Vec3i Margin { get; }

    public bool IsInitialized => _candidates != null;

    public IReadOnlyList<Vec3i> Candidates => EnsureCandidates();

    public int Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "must be >= 0");
    }

    public bool TryNext(out Vec3i seed)
    {
        var candidates = EnsureCandidates();
        if (_position < candidates.Length)
        {
            seed = candidates[_position++];
            return true;
        }
        seed = default;
        return false;
    }

    public void Restore(IReadOnlyList<Vec3i> candidates, int position)
    {
        _candidates = [.. candidates];
        Position = position;
    }

    /// <summary>Whether a FoV centred at <paramref name="c"/> lies inside the subvolume.</summary>
    public bool IsValidCentre(Vec3i c) =>
        c.Z - Margin.Z >= 0 && c.Y - Margin.Y >= 0 && c.X - Margin.X >= 0
        && c.Z + Margin.Z < Shape.Z && c.Y + Margin.Y < Shape.Y && c.X + Margin.X < Shape.X;

    /// <summary>The policy's own candidates before margin filtering, in order; null for none (Google's
    /// <c>coords = None</c>).</summary>
    protected abstract IReadOnlyList<Vec3i>? ComputeCandidates();

    private Vec3i[] EnsureCandidates()
    {
        if (_candidates == null)
        {
            var raw = ComputeCandidates() ?? [];
            _candidates = [.. raw.Where(IsValidCentre)];
        }
        return _candidates;
    }
}
