using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>
/// One block-wise run, validated and tiled once: the input and how it is segmented, the block geometry, the merge
/// rule, where results go. `ffn run`, `ffn demo`, `ffn bench run` and the cluster all start from one. Small (paths
/// and numbers) so a submitter can hand it to a coordinator on another node; the blocks are recomputed there.
/// </summary>
public sealed record RunPlan
{
    // Derived, and recomputed on the node that receives the plan rather than sent along.
    [NonSerialized] private IReadOnlyList<BlockSpec>? _blocks;
    [NonSerialized] private RunManifest? _manifest;

    public required string RunId { get; init; }
    public required string RunDir { get; init; }
    public required SegmentationSettings Segmentation { get; init; }
    /// <summary>The input's shape.</summary>
    public required Vec3i VolumeShape { get; init; }

    /// <summary>The part of the input segmented and written out (--roi; default all of it), in input coordinates.</summary>
    public Box3 Region { get => _region ?? Box3.FromShape(VolumeShape); init => _region = value; }

    private readonly Box3? _region;

    /// <summary>The outputs' shape: the region's.</summary>
    public Vec3i OutputShape => Region.Size;

    /// <summary>True when the run covers only part of the input.</summary>
    public bool IsPartial => Region != Box3.FromShape(VolumeShape);

    /// <summary>The effective block (core) shape: no axis 0, none beyond the volume.</summary>
    public required Vec3i BlockShape { get; init; }

    public required Vec3i Overlap { get; init; }
    public required Vec3i Context { get; init; }
    public required Vec3i Fov { get; init; }
    public VolumeSpec? Mask { get; init; }
    public required MergeOptions Merge { get; init; }

    /// <summary>Recorded in the summary: the workers and device of the run as started (a cluster's nodes have their own).</summary>
    public int Workers { get; init; } = 1;
    public string Device { get; init; } = "cpu";

    public IReadOnlyList<BlockSpec> Blocks => _blocks ??= BlockGrid.Tile(VolumeShape, BlockShape, Overlap, Context, Fov, Region);
    public BlockResultStore Store => new(RunDir);
    public RunOutputs Outputs { get; init; } = new();
    public string H5Path => Path.Combine(RunDir, "final_result.h5");
    public string TiffPath => Path.Combine(RunDir, "final_result.tif");
    public string ZarrPath => Path.Combine(RunDir, "final_result.zarr");
    public RunManifest Manifest => _manifest ??= RunManifest.For(this);
    public RunSettings Settings => new(Manifest.Fields, Workers, Merge, Device);

    /// <summary>The stitcher's view of the blocks, in output coordinates (relative to the region).</summary>
    public IReadOnlyList<StitchBlock> StitchBlocks => [.. Blocks.Select(b => new StitchBlock(b.Index, b.Core.Translate(Vec3i.Zero - Region.Start), b.LabelBox.Translate(Vec3i.Zero - Region.Start)))];

    /// <summary>
    /// Validates the request against the input and the network and tiles it. <paramref name="blockShape"/> may hold 0
    /// for a whole axis; <paramref name="context"/> null means FoV radius + deltas.
    /// </summary>
    /// <exception cref="InputException">anything the flags or files cannot mean, with the flag or file named.</exception>
    /// <param name="progress">Reports the scan of a float input for non-finite voxels.</param>
    /// <param name="roi">The --roi text (Z0:Z1,Y0:Y1,X0:X1), null or empty for the whole input.</param>
    public static RunPlan Build(SegmentationSettings segmentation, ModelConfig network, string runDir, Vec3i blockShape, Vec3i overlap, Vec3i? context,
        VolumeSpec? mask, MergeOptions merge, int workers = 1, string device = "cpu", IProgress<string>? progress = null, RunOutputs? outputs = null,
        string? roi = null)
    {
        segmentation.Validate();
        merge.Validate();
        if (workers < 1) throw new InputException($"--workers must be >= 1, got {workers}");
        var image = segmentation.Image with { Path = Path.GetFullPath(segmentation.Image.Path) };
        Vec3i shape;
        using (var reader = VolumeStore.OpenRead(image))
        {
            shape = reader.Info.Shape;
            // One NaN or Inf would empty every block that reads it: refused up front rather than as failed blocks.
            NonFiniteVoxels.Require(reader, progress);
        }
        var fov = network.FovSize;
        for (int a = 0; a < 3; a++)
            if (shape[a] < fov[a]) throw new InputException($"{image}: volume of shape {shape} is smaller than the model's FoV {fov}");
        var region = string.IsNullOrWhiteSpace(roi) ? Box3.FromShape(shape) : RegionOfInterest.Parse("--roi", roi, shape);
        // A block thinner than the FoV would make every canvas read its neighbours' image: refused for runs.
        var block = BlockGrid.EffectiveBlock(region.Size, blockShape);
        for (int a = 0; a < 3; a++)
            if (blockShape[a] >= 0 && block[a] < fov[a] && block[a] < region.Size[a])
                throw new InputException($"--block-shape {blockShape}: smaller than the model's FoV {fov}");
        if (merge.Mode == MergeMode.Overlap && overlap == Vec3i.Zero)
            throw new InputException("--merge overlap: needs blocks that overlap; give --overlap z,y,x");
        if (mask != null)
        {
            mask = mask with { Path = Path.GetFullPath(mask.Path) };
            using var mr = VolumeStore.OpenRead(mask);
            if (mr.Info.Shape != shape) throw new InputException($"--mask {mask}: shape {mr.Info.Shape} differs from the input's {shape}");
        }
        var plan = new RunPlan
        {
            RunId = Guid.NewGuid().ToString("N")[..8],
            RunDir = Path.GetFullPath(runDir),
            Segmentation = segmentation with { Image = image, ModelPath = Path.GetFullPath(segmentation.ModelPath) },
            VolumeShape = shape,
            Region = region,
            BlockShape = block,
            Overlap = overlap,
            Context = context ?? fov / 2 + network.Deltas,
            Fov = fov,
            Mask = mask,
            Merge = merge,
            Workers = workers,
            Device = device,
            Outputs = outputs ?? new RunOutputs(),
        };
        Volumes.Zarr.ZarrCompressor.Parse(plan.Outputs.ZarrCompressor);
        if (!plan.Outputs.ZarrChunks.AllPositive) throw new InputException($"--zarr-chunks {plan.Outputs.ZarrChunks}: every component must be positive");
        // Tiling checks the block geometry (its errors name --block-shape, --overlap, --context).
        plan._blocks = BlockGrid.Tile(shape, blockShape, overlap, plan.Context, fov, region);
        return plan;
    }
}
