using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes;

/// <summary>What a volume is, read from its header without reading its voxels.</summary>
public sealed record VolumeInfo(Vec3i Shape, DType DType, Vec3i? Chunks = null)
{
    public Box3 Box => Box3.FromShape(Shape);
}
