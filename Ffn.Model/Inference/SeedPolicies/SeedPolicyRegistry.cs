using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>Creates seed policies by google/ffn's names (the inference request's <c>seed_policy</c>).</summary>
public static class SeedPolicyRegistry
{
    private static readonly string[] PeaksNames = [PeaksSeedPolicy.GoogleName, "peaks"];
    private static readonly string[] GridNames = [GridSeedPolicy.GoogleName, "PolicyGrid", "grid"];

    /// <summary>Every accepted name (case-insensitive).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. PeaksNames, .. GridNames];

    /// <summary>
    /// A policy for the canvas image <paramref name="image"/> (normalised float32, z, y, x). "PolicyPeaks"/"peaks"
    /// give <see cref="PeaksSeedPolicy"/>; "PolicyGrid3d"/"PolicyGrid"/"grid" give <see cref="GridSeedPolicy"/>
    /// with Google's defaults (step 16). The masks only affect PolicyPeaks, as in google/ffn.
    /// </summary>
    public static ISeedPolicy Create(string name, Volume<float> image, Vec3i margin,
        (double z, double y, double x) voxelSize, Func<Volume<bool>?>? exclusionMask = null,
        Volume<bool>? restrictorMask = null)
    {
        if (PeaksNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            return new PeaksSeedPolicy(image, margin, voxelSize, exclusionMask, restrictorMask);
        if (GridNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            return new GridSeedPolicy(image.Shape, margin);
        throw new ArgumentException(
            $"unknown seed policy '{name}'; known: {string.Join(", ", Names)}", nameof(name));
    }
}
