using Ffn.Model;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;

namespace Ffn.Tests.Model.Blocks;

public class BlockGridTests
{
    [Theory]
    [InlineData(37, 101, 53, 16, 40, 25, 0, 0, 0)]
    [InlineData(64, 96, 96, 0, 48, 48, 0, 8, 8)]
    [InlineData(33, 33, 33, 33, 33, 33, 0, 0, 0)]
    [InlineData(50, 70, 90, 20, 30, 40, 5, 7, 9)]
    public void Cores_cover_every_voxel_exactly_once_and_boxes_nest(int vz, int vy, int vx, int bz, int by, int bx, int oz, int oy, int ox)
    {
        var shape = new Vec3i(vz, vy, vx);
        var fov = new Vec3i(17, 17, 17);
        var context = new Vec3i(16, 16, 16);
        var overlap = new Vec3i(oz, oy, ox);
        var blocks = BlockGrid.Tile(shape, new Vec3i(bz, by, bx), overlap, context, fov);
        var count = new byte[shape.Product];
        var vol = Box3.FromShape(shape);
        foreach (var b in blocks)
        {
            for (int z = b.Core.Start.Z; z < b.Core.End.Z; z++)
            for (int y = b.Core.Start.Y; y < b.Core.End.Y; y++)
            for (int x = b.Core.Start.X; x < b.Core.End.X; x++)
                count[((long)z * vy + y) * vx + x]++;
            Assert.True(b.LabelBox.Contains(b.Core), $"{b}: label box must contain core");
            Assert.True(b.Read.Contains(b.LabelBox), $"{b}: read must contain label box");
            Assert.True(vol.Contains(b.Read), $"{b}: read inside the volume");
            for (int a = 0; a < 3; a++)
            {
                Assert.True(b.Read.Size[a] >= fov[a], $"{b}: read box narrower than the FoV on axis {a}");
                // Context is kept wherever the volume has it.
                Assert.Equal(Math.Max(0, b.LabelBox.Start[a] - context[a]), Math.Min(b.Read.Start[a], Math.Max(0, b.LabelBox.Start[a] - context[a])));
            }
        }
        Assert.All(count, c => Assert.Equal(1, c));
        Assert.Equal(Enumerable.Range(0, blocks.Count), blocks.Select(b => b.Index));
        Assert.Equal(blocks.Count, blocks.Select(b => b.Name).Distinct().Count());

        // Neighbouring label boxes share exactly `overlap` voxels along their common axis.
        foreach (var a in blocks)
        foreach (var b in blocks)
        {
            var d = b.Grid - a.Grid;
            for (int axis = 0; axis < 3; axis++)
            {
                var unit = new Vec3i(axis == 0 ? 1 : 0, axis == 1 ? 1 : 0, axis == 2 ? 1 : 0);
                if (d != unit) continue;
                Assert.Equal(overlap[axis], a.LabelBox.Intersect(b.LabelBox).Size[axis]);
            }
        }
    }

    [Fact]
    public void Zero_block_axis_means_the_whole_extent_like_the_seeds_columns()
    {
        var blocks = BlockGrid.Tile(new Vec3i(40, 1024, 600), new Vec3i(0, 512, 512), Vec3i.Zero, Vec3i.Zero, new Vec3i(33, 33, 33));
        Assert.Equal(4, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(40, b.Core.Size.Z));
        Assert.Equal(new Vec3i(1, 2, 2), BlockGrid.GridShape(blocks));
        Assert.Equal(88, blocks[1].Core.Size.X);
        Assert.Equal("seg_0_512_512", blocks[3].Name);
    }

    [Fact]
    public void Thin_remainder_blocks_borrow_image_from_their_neighbour()
    {
        var blocks = BlockGrid.Tile(new Vec3i(33, 33, 70), new Vec3i(33, 33, 64), Vec3i.Zero, Vec3i.Zero, new Vec3i(33, 33, 33));
        var thin = blocks[1];
        Assert.Equal(6, thin.Core.Size.X);
        Assert.Equal(new Box3(new Vec3i(0, 0, 37), new Vec3i(33, 33, 33)), thin.Read);
    }

    [Fact]
    public void Bad_geometry_is_refused()
    {
        Assert.Throws<InputException>(() => BlockGrid.Tile(new Vec3i(64, 64, 64), new Vec3i(32, 32, 32), new Vec3i(0, 32, 0), Vec3i.Zero, Vec3i.One));
        Assert.Throws<InputException>(() => BlockGrid.Tile(new Vec3i(16, 64, 64), new Vec3i(32, 32, 32), Vec3i.Zero, Vec3i.Zero, new Vec3i(17, 17, 17)));
    }
}
