using Ffn.Model.Geometry;

namespace Ffn.Model.Blocks;

/// <summary>Splits a volume into blocks (any shape; the last block along an axis takes the remainder).</summary>
public static class BlockGrid
{
    /// <summary>The block shape a requested one gives: 0 on an axis is the whole extent, and no block exceeds the volume.</summary>
    public static Vec3i EffectiveBlock(Vec3i volumeShape, Vec3i blockShape) => new(
        blockShape.Z <= 0 ? volumeShape.Z : Math.Min(blockShape.Z, volumeShape.Z),
        blockShape.Y <= 0 ? volumeShape.Y : Math.Min(blockShape.Y, volumeShape.Y),
        blockShape.X <= 0 ? volumeShape.X : Math.Min(blockShape.X, volumeShape.X));

    /// <param name="blockShape">Core shape z,y,x; 0 on an axis = the whole extent (FFN-PyTorch's Z×512×512 is 0,512,512).</param>
    /// <param name="overlap">Voxels two neighbouring blocks share (label boxes), per axis.</param>
    /// <param name="context">Extra voxels read around the label box where the volume has them (FoV radius + deltas).</param>
    /// <param name="minRead">The smallest box a canvas can work on (the FoV): read boxes are widened inward to it.</param>
    /// <param name="region">
    /// The part of the volume to segment (null = all of it): cores tile it and label boxes stay in it, while read
    /// boxes take their context from the whole volume, so objects at the region's faces see the image beyond them.
    /// </param>
    /// <exception cref="InputException">a geometry the flags cannot mean, named by its flag.</exception>
    public static IReadOnlyList<BlockSpec> Tile(Vec3i volumeShape, Vec3i blockShape, Vec3i overlap, Vec3i context, Vec3i minRead, Box3? region = null)
    {
        if (!volumeShape.AllPositive) throw new InputException($"volume shape {volumeShape} is empty");
        var vol = Box3.FromShape(volumeShape);
        var roi = region ?? vol;
        if (!roi.Size.AllPositive || !vol.Contains(roi)) throw new InputException($"--roi {roi}: empty or outside the volume of shape {volumeShape}");
        var extent = roi.Size;
        var block = EffectiveBlock(extent, blockShape);
        for (int a = 0; a < 3; a++)
        {
            if (blockShape[a] < 0) throw new InputException($"--block-shape {blockShape}: must not be negative");
            if (overlap[a] < 0) throw new InputException($"--overlap {overlap}: must not be negative");
            if (overlap[a] >= block[a] && block[a] < extent[a])
                throw new InputException($"--overlap {overlap}: must be smaller than the block shape {block}");
            if (context[a] < 0) throw new InputException($"--context {context}: must not be negative");
            if (volumeShape[a] < minRead[a])
                throw new InputException($"volume shape {volumeShape} is smaller than the model's FoV {minRead}");
        }
        var low = overlap / 2;
        var high = overlap - low;
        var blocks = new List<BlockSpec>();
        var grid = new Vec3i((extent.Z + block.Z - 1) / block.Z, (extent.Y + block.Y - 1) / block.Y, (extent.X + block.X - 1) / block.X);
        foreach (var core in roi.Tiles(block))
        {
            var grown = Box3.FromStartEnd(core.Start - low, core.End + high);
            var labels = grown.Intersect(roi);
            // Read as a whole-volume run would (overlap and context beyond the region), so a region aligned with the
            // grid gives exactly that run's blocks.
            var read = WidenTo(grown.Intersect(vol).Grow(context).Intersect(vol), minRead, vol);
            var c = core.Start - roi.Start;
            var g = new Vec3i(c.Z / block.Z, c.Y / block.Y, c.X / block.X);
            blocks.Add(new BlockSpec(blocks.Count, g, core, labels, read));
        }
        if (blocks.Count != grid.Product) throw new InvalidOperationException("block grid miscounted");
        return blocks;
    }

    /// <summary>The number of blocks along each axis.</summary>
    public static Vec3i GridShape(IReadOnlyList<BlockSpec> blocks) =>
        blocks.Count == 0 ? Vec3i.Zero : blocks[^1].Grid + Vec3i.One;

    // A thin remainder block still needs a full FoV of image: borrow it from the neighbour's side.
    private static Box3 WidenTo(Box3 box, Vec3i min, Box3 vol)
    {
        var s = box.Start;
        var e = box.End;
        int[] start = s.ToArray(), end = e.ToArray();
        for (int a = 0; a < 3; a++)
        {
            int need = min[a] - (end[a] - start[a]);
            if (need <= 0) continue;
            int down = Math.Min(need, start[a] - vol.Start[a]);
            start[a] -= down;
            end[a] = Math.Min(vol.End[a], end[a] + need - down);
        }
        return Box3.FromStartEnd(new Vec3i(start[0], start[1], start[2]), new Vec3i(end[0], end[1], end[2]));
    }
}
