namespace Ffn.Model.Meshing;

/// <summary>
/// Taubin's λ|μ smoothing (SIGGRAPH 1995): each iteration moves every vertex a step λ towards the mean of its
/// neighbours, then a step μ &lt; -λ back, which takes off the marching-cubes staircase of a voxel mask without the
/// shrinking that plain Laplacian smoothing causes. Connectivity is unchanged, so a closed mesh stays closed.
/// </summary>
public static class TaubinSmoothing
{
    public const double Lambda = 0.5, Mu = -0.53;

    /// <summary>A new mesh, <paramref name="iterations"/> λ|μ pairs smoothed; the same mesh for 0.</summary>
    public static TriangleMesh Apply(TriangleMesh mesh, int iterations)
    {
        if (iterations <= 0 || mesh.TriangleCount == 0) return mesh;
        int n = mesh.VertexCount;
        var p = Array.ConvertAll(mesh.Positions, v => (double)v);
        var sum = new double[3 * n];
        var count = new int[n];
        var tri = mesh.Triangles;
        // Every triangle side counts once from each end: in a closed mesh each neighbour is met twice, so the
        // mean is still the plain mean of the neighbours.
        for (int t = 0; t < tri.Length; t += 3)
            for (int k = 0; k < 3; k++) count[tri[t + k]] += 2;
        for (int i = 0; i < iterations; i++)
        {
            Step(p, sum, count, tri, Lambda);
            Step(p, sum, count, tri, Mu);
        }
        return new TriangleMesh(Array.ConvertAll(p, v => (float)v), tri);
    }

    private static void Step(double[] p, double[] sum, int[] count, int[] tri, double factor)
    {
        Array.Clear(sum);
        for (int t = 0; t < tri.Length; t += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = 3 * tri[t + k], b = 3 * tri[t + (k + 1) % 3];
                sum[a] += p[b]; sum[a + 1] += p[b + 1]; sum[a + 2] += p[b + 2];
                sum[b] += p[a]; sum[b + 1] += p[a + 1]; sum[b + 2] += p[a + 2];
            }
        for (int v = 0; v < count.Length; v++)
        {
            if (count[v] == 0) continue;
            for (int d = 0; d < 3; d++) p[3 * v + d] += factor * (sum[3 * v + d] / count[v] - p[3 * v + d]);
        }
    }
}
