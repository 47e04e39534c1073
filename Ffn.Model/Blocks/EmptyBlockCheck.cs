using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>
/// Decides whether a block has anything to segment: FFN-PyTorch skips blocks whose image is all zero (padding around
/// the tissue); with a mask, blocks whose mask is all zero are skipped too. Reads in z slabs to bound memory.
/// </summary>
public static class EmptyBlockCheck
{
    /// <summary>A check that opens the volumes per call, so it owns nothing between blocks (blocks are large).</summary>
    public static Func<BlockSpec, bool> ForVolumes(VolumeSpec image, VolumeSpec? mask) => b =>
    {
        using var img = VolumeStore.OpenRead(image);
        using var m = mask == null ? null : VolumeStore.OpenRead(mask);
        return IsEmpty(img, m, b.LabelBox);
    };

    public static bool IsEmpty(IVolumeReader image, IVolumeReader? mask, Box3 box, int slabDepth = 16)
    {
        if (mask != null && AllZero(mask, box, slabDepth)) return true;
        return AllZero(image, box, slabDepth);
    }

    public static bool AllZero(IVolumeReader reader, Box3 box, int slabDepth = 16)
    {
        for (int z = box.Start.Z; z < box.End.Z; z += slabDepth)
        {
            var slab = new Box3(new Vec3i(z, box.Start.Y, box.Start.X), new Vec3i(Math.Min(slabDepth, box.End.Z - z), box.Size.Y, box.Size.X));
            var bytes = reader.Read(slab).Bytes;
            // Zero in every dtype we store is all-zero bytes (floats: -0.0 counts as data, which is harmless).
            if (bytes.IndexOfAnyExcept((byte)0) >= 0) return false;
        }
        return true;
    }
}
