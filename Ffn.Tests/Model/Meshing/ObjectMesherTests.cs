using Ffn.Model.Geometry;
using Ffn.Model.Meshing;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Meshing;

/// <summary>
/// Marching cubes on one object's mask: closed and outward for every corner pattern and for random masks, exact
/// where the answer is known (one voxel), close to the voxel volume for a ball and a tube, and the same mesh
/// whatever the sub-blocks it is cut into.
/// </summary>
public class ObjectMesherTests
{
    private static readonly VoxelTransform Unit = new(1, 1, 1);

    private static TriangleMesh Mesh(Volume<uint> v, uint id, int blockSize = 128, int parallelism = 1, VoxelTransform? t = null) =>
        ObjectMesher.Mesh(new InMemoryVolumeReader("test", v), id, v.Box, t ?? Unit, blockSize, parallelism);

    private static long Count(Volume<uint> v, uint id) => v.Data.LongCount(x => x == id);

    [Fact]
    public void Every_pattern_of_a_cube_gives_a_closed_outward_surface()
    {
        for (int pattern = 1; pattern < 256; pattern++)
        {
            var v = new Volume<uint>(new Vec3i(2, 2, 2));
            for (int c = 0; c < 8; c++)
                if ((pattern >> c & 1) != 0) v[(c >> 2) & 1, (c >> 1) & 1, c & 1] = 1;
            var m = Mesh(v, 1);
            MeshFixtures.AssertClosedAndOriented(m);
            // Each voxel's corner of the surface holds at least its inner octahedron; the whole is at most its voxels.
            double vol = m.Volume();
            Assert.True(vol >= Count(v, 1) / 6.0 - 1e-9 && vol <= Count(v, 1), $"pattern {pattern}: volume {vol} for {Count(v, 1)} voxels");
        }
    }

    [Theory]
    [InlineData(0.3, 1)]
    [InlineData(0.5, 2)]
    [InlineData(0.7, 3)]
    public void Random_masks_give_closed_outward_surfaces_whatever_the_sub_blocks(double density, int seed)
    {
        var rng = new Random(seed);
        var v = new Volume<uint>(new Vec3i(9, 10, 11));
        for (int i = 0; i < v.Data.Length; i++) v.Data[i] = rng.NextDouble() < density ? (uint)rng.Next(1, 3) : 0;
        foreach (uint id in new uint[] { 1, 2 })
        {
            var whole = Mesh(v, id);
            MeshFixtures.AssertClosedAndOriented(whole);
            Assert.True(whole.Volume() > 0);
            var split = Mesh(v, id, blockSize: 3, parallelism: 4);
            Assert.Equal(whole.Positions, split.Positions);
            Assert.Equal(whole.Triangles, split.Triangles);
        }
    }

    [Fact]
    public void One_voxel_is_an_octahedron_on_its_faces_in_nanometres()
    {
        var v = new Volume<uint>(new Vec3i(3, 4, 5));
        v[1, 2, 3] = 7;
        var t = new VoxelTransform(8, 6, 4, 100, 200, 300);
        var m = Mesh(v, 7, t: t);
        Assert.Equal(6, m.VertexCount);
        Assert.Equal(8, m.TriangleCount);
        MeshFixtures.AssertClosedAndOriented(m);
        Assert.Equal(8.0 * 6 * 4 / 6, m.Volume(), 6);
        // Voxel (1, 2, 3)'s centre is at 8*1+100, 6*2+200, 4*3+300 nm (z, y, x); its faces half a voxel either side.
        var (x0, y0, z0, x1, y1, z1) = m.Bounds();
        Assert.Equal((310.0, 209.0, 104.0, 314.0, 215.0, 112.0), (x0, y0, z0, x1, y1, z1));
    }

    [Fact]
    public void An_object_at_the_volume_faces_is_closed_by_the_padding()
    {
        var v = new Volume<uint>(new Vec3i(4, 5, 6));
        Array.Fill(v.Data, 3u);
        var m = Mesh(v, 3, blockSize: 2, parallelism: 2);
        MeshFixtures.AssertClosedAndOriented(m);
        Assert.Equal((-0.5, -0.5, -0.5, 5.5, 4.5, 3.5), m.Bounds());
        // The edges and corners are cut off: each unit of edge loses a triangle of legs 1/2 (1/8 voxel).
        double full = 4 * 5 * 6, vol = m.Volume();
        Assert.True(vol < full && vol > full - 4 * (4 + 5 + 6) / 8.0 - 1, $"{vol} for a box of {full} voxels");
    }

    [Theory]
    [InlineData(0, 0.02)]
    [InlineData(3, 0.02)]
    public void A_ball_and_a_long_tube_enclose_their_voxel_volume(int smooth, double tolerance)
    {
        var v = new Volume<uint>(new Vec3i(40, 60, 200));
        MeshFixtures.Ball(v, 1, (20, 30, 25), 12.3);
        MeshFixtures.Capsule(v, 2, (8, 10, 50), (32, 50, 195), 4.6);
        var t = new VoxelTransform(8, 6, 6);
        foreach (uint id in new uint[] { 1, 2 })
        {
            var m = TaubinSmoothing.Apply(Mesh(v, id, blockSize: 32, parallelism: 2, t: t), smooth);
            MeshFixtures.AssertClosedAndOriented(m);
            double expected = Count(v, id) * 8.0 * 6 * 6, got = m.Volume();
            Assert.True(Math.Abs(got / expected - 1) < tolerance, $"object {id}, smooth {smooth}: volume {got} vs {expected} ({got / expected - 1:P2})");
        }
    }

    [Fact]
    public void A_tube_across_many_sub_blocks_gives_the_mesh_of_one_piece()
    {
        var v = new Volume<uint>(new Vec3i(30, 70, 90));
        MeshFixtures.Capsule(v, 5, (2, 3, 4), (27, 66, 85), 3.7);
        MeshFixtures.Ball(v, 6, (15, 20, 70), 6);   // a neighbour, never part of object 5's mesh
        var one = Mesh(v, 5, blockSize: 1000);
        foreach (var (block, threads) in new[] { (7, 1), (16, 4), (1, 2) })
        {
            var split = Mesh(v, 5, block, threads);
            Assert.Equal(one.Positions, split.Positions);
            Assert.Equal(one.Triangles, split.Triangles);
        }
        MeshFixtures.AssertClosedAndOriented(one);
    }

    [Fact]
    public void An_id_not_in_the_box_gives_an_empty_mesh()
    {
        var v = new Volume<uint>(new Vec3i(4, 4, 4));
        v[1, 1, 1] = 1;
        Assert.Equal(0, Mesh(v, 2).TriangleCount);
        // An id a uint32 volume cannot hold matches nothing (rather than its truncation, 1).
        Assert.Equal(0, ObjectMesher.Mesh(new InMemoryVolumeReader("test", v), (1UL << 32) + 1, v.Box, Unit).TriangleCount);
    }
}
