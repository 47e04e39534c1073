namespace Ffn.Model.Stitching;

/// <summary>
/// Merge settings. <paramref name="MinConsecutiveVoxels"/>: the faces rule's run length (FFN-PyTorch's
/// min_consecutive_pixels, 15). <paramref name="MinOverlapVoxels"/> and <paramref name="MinIou"/>: the overlap rule's
/// thresholds on the voxels two objects share in the region both blocks labelled, and on their intersection over
/// union within that region (defaults chosen on synthetic volumes: see the stitching tests).
/// </summary>
public sealed record MergeOptions(MergeMode Mode, int MinConsecutiveVoxels = 15, long MinOverlapVoxels = 100, double MinIou = 0.5)
{
    public static MergeOptions None { get; } = new(MergeMode.None);

    public void Validate()
    {
        if (MinConsecutiveVoxels < 1) throw new ArgumentException($"min consecutive voxels must be at least 1, got {MinConsecutiveVoxels}");
        if (MinOverlapVoxels < 1) throw new ArgumentException($"min overlap voxels must be at least 1, got {MinOverlapVoxels}");
        if (!(MinIou >= 0 && MinIou <= 1)) throw new ArgumentException($"min IoU must be in [0, 1], got {MinIou}");
    }
}
