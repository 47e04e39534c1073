using Ffn.Model.Geometry;

namespace Ffn.Tests.Model.Geometry;

public class Box3Tests
{
    [Theory]
    [InlineData(7, 13, 29, 3, 5, 8)]
    [InlineData(1, 1, 1, 4, 4, 4)]
    [InlineData(64, 100, 33, 64, 32, 33)]
    public void TilesCoverEveryVoxelExactlyOnce(int z, int y, int x, int tz, int ty, int tx)
    {
        var box = new Box3(new Vec3i(2, -3, 5), new Vec3i(z, y, x));
        var hits = new int[box.Volume];
        foreach (var t in box.Tiles(new Vec3i(tz, ty, tx)))
        {
            Assert.True(box.Contains(t));
            for (int a = t.Start.Z; a < t.End.Z; a++)
            for (int b = t.Start.Y; b < t.End.Y; b++)
            for (int c = t.Start.X; c < t.End.X; c++)
                hits[((long)(a - box.Start.Z) * y + (b - box.Start.Y)) * x + (c - box.Start.X)]++;
        }
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void IntersectOfDisjointBoxesIsEmpty()
    {
        var a = new Box3(Vec3i.Zero, new Vec3i(4, 4, 4));
        var b = new Box3(new Vec3i(5, 0, 0), new Vec3i(4, 4, 4));
        Assert.True(a.Intersect(b).IsEmpty);
        Assert.Equal(new Box3(new Vec3i(2, 2, 2), new Vec3i(2, 2, 2)), a.Intersect(new Box3(new Vec3i(2, 2, 2), Vec3i.Fill(9))));
    }

    [Theory]
    [InlineData("1,2,3", 1, 2, 3)]
    [InlineData(" 4, 5 ,6", 4, 5, 6)]
    [InlineData("7", 7, 7, 7)]
    public void ParsesVectors(string text, int z, int y, int x) => Assert.Equal(new Vec3i(z, y, x), Vec3i.Parse(text));

    [Theory]
    [InlineData("1,2")]
    [InlineData("a,b,c")]
    [InlineData("1,2,3,4")]
    public void RejectsMalformedVectors(string text) => Assert.Throws<FormatException>(() => Vec3i.Parse(text));
}
