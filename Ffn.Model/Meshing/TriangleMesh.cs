namespace Ffn.Model.Meshing;

/// <summary>
/// A triangle surface: vertex positions x, y, z interleaved (nanometres, Neuroglancer's order) and three vertex
/// indices per triangle, counter-clockwise seen from outside.
/// </summary>
public sealed class TriangleMesh
{
    public TriangleMesh(float[] positions, int[] triangles)
    {
        if (positions.Length % 3 != 0) throw new ArgumentException($"{positions.Length} coordinates are not whole x,y,z vertices");
        if (triangles.Length % 3 != 0) throw new ArgumentException($"{triangles.Length} indices are not whole triangles");
        int n = positions.Length / 3;
        foreach (var i in triangles)
            if ((uint)i >= (uint)n) throw new ArgumentException($"triangle index {i} outside the {n} vertices");
        Positions = positions;
        Triangles = triangles;
    }

    public static readonly TriangleMesh Empty = new([], []);

    public float[] Positions { get; }
    public int[] Triangles { get; }
    public int VertexCount => Positions.Length / 3;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>
    /// The volume enclosed (nm³), by the divergence theorem: the sum of the signed volumes of the tetrahedra each
    /// triangle spans with a reference point. Positive for a closed surface whose triangles face out.
    /// </summary>
    public double Volume()
    {
        if (TriangleCount == 0) return 0;
        // Relative to the first vertex: large coordinates would otherwise cancel in float64.
        double ox = Positions[0], oy = Positions[1], oz = Positions[2], sum = 0;
        for (int t = 0; t < Triangles.Length; t += 3)
        {
            var (ax, ay, az) = At(Triangles[t], ox, oy, oz);
            var (bx, by, bz) = At(Triangles[t + 1], ox, oy, oz);
            var (cx, cy, cz) = At(Triangles[t + 2], ox, oy, oz);
            sum += ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx);
        }
        return sum / 6;
    }

    /// <summary>The surface area (nm²).</summary>
    public double Area()
    {
        double sum = 0;
        for (int t = 0; t < Triangles.Length; t += 3)
        {
            var (ax, ay, az) = At(Triangles[t], 0, 0, 0);
            var (bx, by, bz) = At(Triangles[t + 1], ax, ay, az);
            var (cx, cy, cz) = At(Triangles[t + 2], ax, ay, az);
            double nx = by * cz - bz * cy, ny = bz * cx - bx * cz, nz = bx * cy - by * cx;
            sum += Math.Sqrt(nx * nx + ny * ny + nz * nz) / 2;
        }
        return sum;
    }

    /// <summary>The smallest and largest x, y and z of the vertices.</summary>
    public (double MinX, double MinY, double MinZ, double MaxX, double MaxY, double MaxZ) Bounds()
    {
        double x0 = double.PositiveInfinity, y0 = x0, z0 = x0, x1 = double.NegativeInfinity, y1 = x1, z1 = x1;
        for (int i = 0; i < Positions.Length; i += 3)
        {
            x0 = Math.Min(x0, Positions[i]); x1 = Math.Max(x1, Positions[i]);
            y0 = Math.Min(y0, Positions[i + 1]); y1 = Math.Max(y1, Positions[i + 1]);
            z0 = Math.Min(z0, Positions[i + 2]); z1 = Math.Max(z1, Positions[i + 2]);
        }
        return (x0, y0, z0, x1, y1, z1);
    }

    private (double, double, double) At(int v, double ox, double oy, double oz) =>
        (Positions[3 * v] - ox, Positions[3 * v + 1] - oy, Positions[3 * v + 2] - oz);
}
