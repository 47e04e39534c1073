using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Stitching;

public class TileDirectoryTests
{
    /// <summary>LoadBox reads any box of a .npy tile (one read, per-slice or per-row runs) equal to the whole tile cropped; int64 tiles widen to uint64.</summary>
    [Fact]
    public void LoadBoxEqualsCroppedLoad()
    {
        using var tmp = new TempDir();
        var shape = new Vec3i(7, 9, 11);
        var v = new Volume<long>(new Vec3i(7, 9, 11));
        for (int i = 0; i < v.Data.Length; i++) v.Data[i] = i * 3 + (1L << 35);
        NpyFile.Write(tmp.File("seg_0_0_0.npy"), v);
        var tiles = TileDirectory.Scan(tmp.Path, shape, shape);
        var whole = tiles.Load(0)!;
        Assert.IsType<Volume<ulong>>(whole);
        foreach (var box in new[] { new Box3(new(0, 0, 0), shape), new Box3(new(2, 0, 0), new(3, 9, 11)), new Box3(new(1, 3, 0), new(4, 5, 11)), new Box3(new(1, 2, 3), new(5, 6, 7)) })
        {
            var part = tiles.LoadBox(0, box)!;
            Assert.Equal(box, part.Box);
            Assert.True(((Volume<ulong>)whole).Crop(box).ContentEquals(part), box.ToString());
        }
    }
}
