using Ffn.Model.Geometry;

namespace Ffn.Model.Synthetic;

/// <summary>Settings of <see cref="SynthGenerator"/>. Lengths are in voxels (isotropic).</summary>
public sealed record SynthOptions
{
    public Vec3i Shape { get; init; } = new(64, 128, 128);
    public int Seed { get; init; } = 1;

    /// <summary>Zero the raw image (and labels) of the first quarter of the z slices, to exercise empty-block skipping.</summary>
    public bool EmptySlab { get; init; }

    public double MinTubeRadius { get; init; } = 2.5;
    public double MaxTubeRadius { get; init; } = 7.0;

    /// <summary>Standard deviation of the additive Gaussian noise, in grey levels.</summary>
    public double Noise { get; init; } = 9.0;

    /// <summary>Sigma of the Gaussian blur (the microscope's point spread), in voxels.</summary>
    public double Blur { get; init; } = 0.9;

    /// <exception cref="InputException">a bad setting: the user's to fix (exit 2), as every option record's Validate.</exception>
    public void Validate()
    {
        if (!Shape.AllPositive) throw new InputException($"--shape must be positive, got {Shape}");
        if (Shape.Product > Array.MaxLength) throw new InputException($"--shape {Shape} is larger than one array; generate it in parts");
        if (MinTubeRadius <= 0 || MaxTubeRadius < MinTubeRadius)
            throw new InputException($"tube radii must satisfy 0 < min <= max, got {MinTubeRadius}..{MaxTubeRadius}");
        if (Noise < 0 || Blur < 0) throw new InputException("--noise and --blur must be non-negative");
    }
}
