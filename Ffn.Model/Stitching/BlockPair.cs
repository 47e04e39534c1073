using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Stitching;

/// <summary>
/// Two blocks whose merge data meet: for faces, Low's Core ends where High's starts along <see cref="Axis"/> and
/// <see cref="Region"/> is the one-voxel contact layer at that boundary; for overlap,
/// Region = Low.LabelBox ∩ High.LabelBox. The first of the two blocks to arrive parks its data here until the second
/// comes.
/// </summary>
internal sealed class BlockPair(int low, int high, int axis, Box3 region)
{
    public int Low { get; } = low;
    public int High { get; } = high;
    public int Axis { get; } = axis;
    public Box3 Region { get; } = region;
    public Volume<uint>? Pending { get; set; }

    public int Other(int block) => block == Low ? High : Low;
}
