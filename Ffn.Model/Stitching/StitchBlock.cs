using Ffn.Model.Geometry;

namespace Ffn.Model.Stitching;

/// <summary>
/// One block of a stitched volume. The <see cref="Core"/>s of all blocks tile the volume exactly (each voxel in one
/// Core); <see cref="LabelBox"/> ⊇ Core is the box the block's labels cover (Core grown by an overlap and clipped to
/// the volume, or Core itself). <see cref="Index"/> is the block's position in z, y, x grid order.
/// </summary>
public sealed record StitchBlock(int Index, Box3 Core, Box3 LabelBox)
{
    /// <summary>
    /// A regular grid: Cores of <paramref name="coreShape"/> (the last ones clipped) in z, y, x order, each LabelBox
    /// the Core grown by <paramref name="margin"/> on every side and clipped to the volume. Between two neighbours the
    /// Core boundary is then halfway through their shared region, so each voxel belongs to the nearer block centre.
    /// </summary>
    public static IReadOnlyList<StitchBlock> Grid(Vec3i volumeShape, Vec3i coreShape, Vec3i margin = default)
    {
        if (!volumeShape.AllPositive) throw new ArgumentException($"volume shape must be positive, got {volumeShape}");
        if (!coreShape.AllPositive) throw new ArgumentException($"block shape must be positive, got {coreShape}");
        if (margin.Z < 0 || margin.Y < 0 || margin.X < 0) throw new ArgumentException($"margin must not be negative, got {margin}");
        var volume = Box3.FromShape(volumeShape);
        return volume.Tiles(coreShape).Select((core, i) => new StitchBlock(i, core, core.Grow(margin).Intersect(volume))).ToList();
    }
}
