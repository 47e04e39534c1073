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

public class BlockGridRegionTests
{
    [Theory]
    [InlineData(10, 50, 20, 70, 0, 40, 4, 4, 4)]
    [InlineData(0, 64, 0, 96, 0, 96, 0, 0, 0)]
    [InlineData(30, 31, 90, 96, 5, 77, 2, 0, 6)]
    public void Cores_tile_the_region_labels_stay_in_it_and_reads_reach_beyond_it(int z0, int z1, int y0, int y1, int x0, int x1, int oz, int oy, int ox)
    {
        var shape = new Vec3i(64, 96, 96);
        var fov = new Vec3i(9, 9, 9);
        var context = new Vec3i(6, 6, 6);
        var overlap = new Vec3i(oz, oy, ox);
        var region = Box3.FromStartEnd(new Vec3i(z0, y0, x0), new Vec3i(z1, y1, x1));
        var vol = Box3.FromShape(shape);
        var blocks = BlockGrid.Tile(shape, new Vec3i(16, 20, 24), overlap, context, fov, region);
        Assert.Equal(region.Size.Product, blocks.Sum(b => b.Core.Size.Product)); // with containment below: an exact tiling
        foreach (var b in blocks)
        {
            Assert.True(region.Contains(b.Core) && region.Contains(b.LabelBox), $"{b}: core and labels inside the region {region}");
            Assert.True(b.Read.Contains(b.LabelBox) && vol.Contains(b.Read), $"{b}: read box contains the labels, inside the volume");
            for (int a = 0; a < 3; a++)
            {
                Assert.True(b.Read.Size[a] >= fov[a], $"{b}: read box narrower than the FoV on axis {a}");
                // The context margin comes from the input wherever it has voxels, inside the region or not.
                Assert.True(b.Read.Start[a] <= Math.Max(0, b.LabelBox.Start[a] - context[a]), $"{b}: context cut on axis {a}");
                Assert.True(b.Read.End[a] >= Math.Min(shape[a], b.LabelBox.End[a] + context[a]), $"{b}: context cut on axis {a}");
            }
        }
        foreach (var a in blocks)
        foreach (var b in blocks.Where(b => b.Index > a.Index))
            Assert.True(a.Core.Intersect(b.Core).IsEmpty, $"{a} and {b} overlap");
        Assert.Equal(BlockGrid.GridShape(blocks).Product, blocks.Count);
    }

    [Fact]
    public void A_region_aligned_with_the_grid_gives_the_same_blocks_as_the_whole_volume()
    {
        var shape = new Vec3i(40, 60, 60);
        var whole = BlockGrid.Tile(shape, new Vec3i(20, 20, 20), new Vec3i(2, 2, 2), new Vec3i(5, 5, 5), new Vec3i(9, 9, 9));
        var region = Box3.FromStartEnd(new Vec3i(20, 20, 0), new Vec3i(40, 60, 60));
        var part = BlockGrid.Tile(shape, new Vec3i(20, 20, 20), new Vec3i(2, 2, 2), new Vec3i(5, 5, 5), new Vec3i(9, 9, 9), region);
        foreach (var b in part)
        {
            var w = Assert.Single(whole, x => x.Name == b.Name);
            Assert.Equal(w.Core, b.Core);
            Assert.Equal(w.Read, b.Read);
            // Label boxes are cut at the region's faces, where the whole run would overlap a neighbour outside.
            Assert.Equal(w.LabelBox.Intersect(region), b.LabelBox);
        }
    }

    [Theory]
    [InlineData("0:10,0:10", "give three ranges")]
    [InlineData("0:10,5:5,:", "y range 5:5 is empty")]
    [InlineData("0:10,:,0:200", "x range 0:200 is empty or outside the volume's 0:96")]
    [InlineData("a:10,:,:", "'a' is not a whole number")]
    [InlineData("0-10,:,:", "'0-10' is not a range")]
    public void Bad_regions_name_the_flag_and_the_range(string text, string message)
    {
        var e = Assert.Throws<InputException>(() => RegionOfInterest.Parse("--roi", text, new Vec3i(64, 96, 96)));
        Assert.StartsWith($"--roi {text}: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Open_bounds_are_the_edges_and_format_round_trips()
    {
        var box = RegionOfInterest.Parse("--roi", " 3:,:40 , 7:9", new Vec3i(64, 96, 96));
        Assert.Equal(Box3.FromStartEnd(new Vec3i(3, 0, 7), new Vec3i(64, 40, 9)), box);
        Assert.Equal("3:64,0:40,7:9", RegionOfInterest.Format(box));
        Assert.Equal(box, RegionOfInterest.Parse("x", RegionOfInterest.Format(box), new Vec3i(64, 96, 96)));
    }
}
