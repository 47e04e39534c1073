namespace Ffn.Model.Stitching;

/// <summary>
/// Merge settings. <paramref name="MinConsecutiveVoxels"/>: the faces rule's run length (FFN-PyTorch's
/// min_consecutive_pixels, 15). <paramref name="MinOverlapVoxels"/> and <paramref name="MinIou"/>: the overlap rule's
/// thresholds on the voxels two objects share in the region both blocks labelled, and on their intersection over
/// union within that region. Defaults from a sweep on synthetic ground truth (64x128x128, seeds 3 and 5) cut into
/// 32x64x64 blocks with margins 4 and 8, block edges spoiled or not: that data has no ambiguous overlaps, so no
/// threshold produced a false merge, and lower was always better; at margin 4 with spoiled edges, IoU 0.5 cost
/// 0.03 bits of VI over 0.2, IoU 0.8 cost 0.8 bits, and 300 voxels 0.1 bits over 50. 50 voxels / IoU 0.3 keeps
/// most of that while still refusing small and lopsided overlaps, which real segmentations have.
/// </summary>
public sealed record MergeOptions(MergeMode Mode, int MinConsecutiveVoxels = 15, long MinOverlapVoxels = 50, double MinIou = 0.3)
{
    public static MergeOptions None { get; } = new(MergeMode.None);

    /// <exception cref="InputException">a bad threshold: the user's to fix (exit 2), as every option record's Validate.</exception>
    public void Validate()
    {
        if (MinConsecutiveVoxels < 1) throw new InputException($"min consecutive voxels must be at least 1, got {MinConsecutiveVoxels}");
        if (MinOverlapVoxels < 1) throw new InputException($"min overlap voxels must be at least 1, got {MinOverlapVoxels}");
        if (!(MinIou >= 0 && MinIou <= 1)) throw new InputException($"min IoU must be in [0, 1], got {MinIou}");
    }
}
