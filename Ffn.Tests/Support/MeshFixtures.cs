using Ffn.Model.Geometry;
using Ffn.Model.Meshing;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Tests.Support;

/// <summary>Synthetic label volumes (balls, tubes), run directories holding them as final_result.zarr, and mesh checks.</summary>
public static class MeshFixtures
{
    /// <summary>Sets to <paramref name="id"/> the voxels whose centre lies within <paramref name="radius"/> of the segment a-b (z, y, x).</summary>
    public static void Capsule(Volume<uint> v, uint id, (double Z, double Y, double X) a, (double Z, double Y, double X) b, double radius)
    {
        double dz = b.Z - a.Z, dy = b.Y - a.Y, dx = b.X - a.X, len2 = dz * dz + dy * dy + dx * dx;
        for (int z = 0; z < v.Shape.Z; z++)
        for (int y = 0; y < v.Shape.Y; y++)
        for (int x = 0; x < v.Shape.X; x++)
        {
            double t = len2 == 0 ? 0 : Math.Clamp(((z - a.Z) * dz + (y - a.Y) * dy + (x - a.X) * dx) / len2, 0, 1);
            double ez = z - a.Z - t * dz, ey = y - a.Y - t * dy, ex = x - a.X - t * dx;
            if (ez * ez + ey * ey + ex * ex <= radius * radius) v[z, y, x] = id;
        }
    }

    public static void Ball(Volume<uint> v, uint id, (double Z, double Y, double X) centre, double radius) => Capsule(v, id, centre, centre, radius);

    /// <summary>
    /// A run directory as `ffn run` leaves it for meshing: final_result.zarr with <paramref name="labels"/> as its
    /// segmentation (pyramid included) and an all-zero EM.
    /// </summary>
    public static string WriteRun(string runDir, Volume<uint> labels, Vec3i voxelNm, Vec3i chunks, Vec3i origin = default)
    {
        Directory.CreateDirectory(runDir);
        var ome = new OmeZarrImage(Path.Combine(runDir, "final_result.zarr"), labels.Shape, voxelNm, chunks, ZarrCompressor.Zstd, origin);
        ome.WriteLabels(new InMemoryVolumeReader("labels", labels), null, CancellationToken.None);
        ome.Finish(new InMemoryVolumeReader("em", new Volume<byte>(labels.Shape)), null, CancellationToken.None);
        return runDir;
    }

    /// <summary>Every side of every triangle is met once the other way round by exactly one other triangle, and no triangle repeats a vertex.</summary>
    public static void AssertClosedAndOriented(TriangleMesh m)
    {
        var directed = new Dictionary<(int, int), int>();
        var t = m.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            Assert.True(t[i] != t[i + 1] && t[i + 1] != t[i + 2] && t[i] != t[i + 2], $"triangle {i / 3} repeats a vertex");
            for (int k = 0; k < 3; k++)
            {
                var e = (t[i + k], t[i + (k + 1) % 3]);
                directed[e] = directed.GetValueOrDefault(e) + 1;
            }
        }
        foreach (var ((a, b), n) in directed)
        {
            Assert.True(n == 1, $"side {a}->{b} is in {n} triangles the same way round");
            Assert.True(directed.GetValueOrDefault((b, a)) == 1, $"side {a}->{b} has no triangle the other way round");
        }
    }
}
