using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference;

/// <summary>
/// How an image is segmented with one network: everything that decides a subvolume's (or a block's) result
/// bytes. One record from the command line to the Canvas, for `ffn infer` and every block of `ffn run`.
/// </summary>
public sealed record SegmentationSettings
{
    public required VolumeSpec Image { get; init; }
    public required string ModelPath { get; init; }
    public required Vec3i Deltas { get; init; }
    public double ImageMean { get; init; } = 128;
    public double ImageStddev { get; init; } = 33;

    /// <summary>Normalize each subvolume (block) with its own int(mean), int(std), as FFN-PyTorch does per block.</summary>
    public bool AutoNormalize { get; init; }

    public InferenceOptions Options { get; init; } = new();

    /// <summary>google/ffn's seed policy name (<see cref="SeedPolicyRegistry.Names"/>).</summary>
    public string SeedPolicy { get; init; } = "PolicyPeaks";

    /// <summary>Voxel size z,y,x, for the seed policy's distance transform.</summary>
    public Vec3i VoxelSize { get; init; } = Vec3i.One;

    /// <summary>Objects grown at once, their FoVs batched into one network call (1 = Google's order exactly).</summary>
    public int BatchCanvases { get; init; } = 1;

    /// <summary>Blocks also seed in their context margin (objects there are then segmented by both neighbours; slower).</summary>
    public bool SeedInContext { get; init; }

    /// <summary>Seconds between inference checkpoints, so a killed run resumes inside a long subvolume (0 = none).</summary>
    public double CheckpointInterval { get; init; } = 1200;

    public void Validate()
    {
        Options.Validate();
        if (!AutoNormalize) ImageNormalization.Validate(ImageMean, ImageStddev);
        if (!SeedPolicyRegistry.Names.Contains(SeedPolicy, StringComparer.OrdinalIgnoreCase))
            throw new InputException($"--seed-policy {SeedPolicy}: known policies are {string.Join(", ", SeedPolicyRegistry.Names)}");
        if (!VoxelSize.AllPositive) throw new InputException($"--voxel-size: every component must be positive, got {VoxelSize}");
        if (BatchCanvases < 1) throw new InputException($"--batch-canvases must be >= 1, got {BatchCanvases}");
        FiniteSetting.Require("--ckp-interval", CheckpointInterval);
    }

    /// <summary>The seed policy for a normalized canvas image, FoV radius <paramref name="margin"/> from its faces.</summary>
    public ISeedPolicy CreateSeedPolicy(Volume<float> image, Vec3i margin) =>
        SeedPolicyRegistry.Create(SeedPolicy, image, margin, (VoxelSize.Z, VoxelSize.Y, VoxelSize.X));
}
