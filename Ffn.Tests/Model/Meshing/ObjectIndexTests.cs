using Ffn.Model.Geometry;
using Ffn.Model.Meshing;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Zarr;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Meshing;

/// <summary>The object index against a voxel-by-voxel count, over a chunked zarr read on several threads, and its JSON round trip.</summary>
public class ObjectIndexTests
{
    [Fact]
    public void Counts_and_boxes_equal_a_voxel_by_voxel_scan_and_survive_json()
    {
        using var tmp = new TempDir();
        var rng = new Random(4);
        var v = new Volume<uint>(new Vec3i(13, 17, 19));
        for (int i = 0; i < 40; i++)
            MeshFixtures.Ball(v, (uint)rng.Next(1, 12) * 1000, (rng.Next(13), rng.Next(17), rng.Next(19)), rng.NextDouble() * 3);
        var dir = tmp.File("labels");
        ZarrVolumeWriter.Create(dir, v.Shape, DType.UInt32, new Vec3i(4, 5, 6)).Write(v);
        using var pool = new ReaderPool(() => ZarrVolumeReader.Open(dir, dir));
        var index = ObjectIndex.Build(pool, 3, null, CancellationToken.None);

        var expected = new Dictionary<ulong, (long N, Vec3i Lo, Vec3i Hi)>();
        for (int z = 0; z < v.Shape.Z; z++)
        for (int y = 0; y < v.Shape.Y; y++)
        for (int x = 0; x < v.Shape.X; x++)
        {
            uint id = v[z, y, x];
            if (id == 0) continue;
            var p = new Vec3i(z, y, x);
            expected[id] = expected.TryGetValue(id, out var e) ? (e.N + 1, Vec3i.Min(e.Lo, p), Vec3i.Max(e.Hi, p + Vec3i.One)) : (1, p, p + Vec3i.One);
        }
        Assert.Equal(expected.Count, index.Objects.Count);
        foreach (var (id, e) in expected)
        {
            Assert.True(index.TryGet(id, out var o));
            Assert.Equal((e.N, Box3.FromStartEnd(e.Lo, e.Hi)), (o.Voxels, o.Box));
        }
        Assert.Equal(index.Objects.OrderByDescending(o => o.Voxels).ThenBy(o => o.Id), index.Objects);

        var json = tmp.File("index.json");
        using (var f = File.Create(json)) index.Write(f);
        var back = ObjectIndex.Read(json);
        Assert.Equal(index.Objects, back.Objects);
        Assert.Equal(index.Shape, back.Shape);
    }
}
