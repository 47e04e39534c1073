using Ffn.Model.Geometry;

namespace Ffn.Model.DataPrep;

/// <summary>Settings of <see cref="Partitioner"/> (google/ffn's compute_partitions arguments, in z, y, x order).</summary>
public sealed record PartitionOptions
{
    /// <summary>google/ffn's published thresholds (its README and FFN-PyTorch's partition.py).</summary>
    public static readonly IReadOnlyList<double> DefaultThresholds =
        [0.025, 0.05, 0.075, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>
    /// Ascending fractions in (0, 1): a voxel whose object fills fraction f of its LOM box gets
    /// 1 + (number of thresholds &lt;= f), i.e. 1 .. Count + 1.
    /// </summary>
    public IReadOnlyList<double> Thresholds { get; init; } = DefaultThresholds;

    /// <summary>Local object mask radius (z, y, x); the box is 2r+1 voxels per axis. google/ffn's flag is x, y, z.</summary>
    public Vec3i LomRadius { get; init; } = Vec3i.Fill(24);

    /// <summary>Objects with fewer voxels become background first (google/ffn's clear_dust); 0 keeps all.</summary>
    public long MinSize { get; init; } = 10000;

    /// <summary>When set, only these object ids get partition values; the others stay 0 like background.</summary>
    public IReadOnlyList<long>? IdWhitelist { get; init; }

    public IReadOnlyList<ExclusionRegion> ExclusionRegions { get; init; } = [];

    /// <summary>Largest threshold count: values run to Count + 1 and 255 means excluded.</summary>
    public const int MaxThresholds = 253;

    /// <exception cref="InputException">a bad setting, named by its flag.</exception>
    public void Validate()
    {
        if (Thresholds.Count == 0) throw new InputException($"--thresholds: at least one threshold is required");
        if (Thresholds.Count > MaxThresholds)
            throw new InputException($"--thresholds: at most {MaxThresholds} thresholds fit in uint8 values below 255, got {Thresholds.Count}");
        for (int i = 0; i < Thresholds.Count; i++)
        {
            double t = Thresholds[i];
            if (!(t > 0 && t < 1)) throw new InputException($"--thresholds: threshold {t} is outside (0, 1)");
            if (i > 0 && !(t > Thresholds[i - 1]))
                throw new InputException($"--thresholds: thresholds must be strictly increasing, got {Thresholds[i - 1]} then {t}");
        }
        if (LomRadius.Z < 0 || LomRadius.Y < 0 || LomRadius.X < 0)
            throw new InputException($"--lom-radius: LOM radius must be non-negative, got (x,y,z) {LomRadius.Reversed()}");
        if (MinSize < 0) throw new InputException($"--min-size: minimum size must be non-negative, got {MinSize}");
        foreach (var r in ExclusionRegions)
        {
            if (!(r.Radius >= 0) || !double.IsFinite(r.X) || !double.IsFinite(r.Y) || !double.IsFinite(r.Z))
                throw new InputException($"--exclusion-regions: exclusion region (x,y,z,r) {r.X},{r.Y},{r.Z},{r.Radius} needs finite values and r >= 0");
        }
    }
}
