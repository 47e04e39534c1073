namespace Ffn.Model.Meshing;

/// <summary>
/// The marching-cubes triangles of each of the 256 inside/outside patterns of a cube's eight corners, derived at
/// start-up from one rule instead of typed in. On each cube face the surface cuts the face's inside corners off its
/// outside ones; where a face has two diagonal inside corners each is cut off alone, so objects that touch only
/// along a voxel edge stay apart. The rule looks at a face's four corners only, so the two cubes that share a face
/// cut it identically and the pieces of neighbouring cubes join into a closed surface. The face cuts chain into
/// closed loops, oriented counter-clockwise seen from outside the object (normals point out), each triangulated
/// without a diagonal that lies in a cube face (a neighbour could pick the same one and that edge would then
/// border four triangles).
/// Corner c lies at (x, y, z) = (c &amp; 1, (c &gt;&gt; 1) &amp; 1, (c &gt;&gt; 2) &amp; 1); bit c of a pattern says corner c is inside.
/// </summary>
internal static class MarchingCubesTable
{
    /// <summary>Edge e joins corner Low and corner Low + 2^Axis (axis 0 = x, 1 = y, 2 = z).</summary>
    public static readonly (int Low, int Axis)[] Edges = BuildEdges();

    /// <summary>Triangles[pattern]: edge indices, three per triangle, each triangle counter-clockwise seen from outside.</summary>
    public static readonly int[][] Triangles = BuildTriangles();

    private static (int, int)[] BuildEdges()
    {
        var edges = new List<(int, int)>();
        for (int axis = 0; axis < 3; axis++)
        for (int c = 0; c < 8; c++)
            if ((c >> axis & 1) == 0) edges.Add((c, axis));
        return [.. edges];
    }

    private static int EdgeOf(int a, int b)
    {
        int low = Math.Min(a, b), axis = System.Numerics.BitOperations.Log2((uint)(a ^ b));
        return Array.IndexOf(Edges, (low, axis));
    }

    private static (double X, double Y, double Z) Corner(int c) => (c & 1, (c >> 1) & 1, (c >> 2) & 1);

    private static (double X, double Y, double Z) Midpoint(int edge)
    {
        var (low, axis) = Edges[edge];
        var p = Corner(low);
        return axis switch { 0 => (p.X + 0.5, p.Y, p.Z), 1 => (p.X, p.Y + 0.5, p.Z), _ => (p.X, p.Y, p.Z + 0.5) };
    }

    /// <summary>The faces (axis, side) an edge lies in: the two whose axis is not the edge's.</summary>
    private static IEnumerable<(int Axis, int Side)> FacesOf(int edge)
    {
        var (low, axis) = Edges[edge];
        for (int a = 0; a < 3; a++)
            if (a != axis) yield return (a, (low >> a) & 1);
    }

    private static bool ShareAFace(int e1, int e2) => FacesOf(e1).Intersect(FacesOf(e2)).Any();

    private static int[][] BuildTriangles()
    {
        var table = new int[256][];
        for (int pattern = 0; pattern < 256; pattern++)
        {
            bool Inside(int c) => (pattern >> c & 1) != 0;
            var next = new Dictionary<int, int>();
            for (int axis = 0; axis < 3; axis++)
            for (int side = 0; side < 2; side++)
            {
                // The face's corners in cyclic order, and the edge from each to the next.
                int u = (axis + 1) % 3, v = (axis + 2) % 3, b = side << axis;
                int[] q = [b, b | 1 << u, b | 1 << u | 1 << v, b | 1 << v];
                int[] f = [EdgeOf(q[0], q[1]), EdgeOf(q[1], q[2]), EdgeOf(q[2], q[3]), EdgeOf(q[3], q[0])];
                int inside = q.Count(Inside);
                var cuts = new List<(int, int)>();
                if (inside is 1 or 3 || (inside == 2 && Inside(q[0]) == Inside(q[2])))
                {
                    // Cut off each corner that differs from both its face neighbours: a lone inside corner (one, or
                    // two diagonal ones) or a lone outside corner (three inside).
                    for (int i = 0; i < 4; i++)
                        if (Inside(q[i]) != Inside(q[(i + 1) % 4]) && Inside(q[i]) != Inside(q[(i + 3) % 4])
                            && (Inside(q[i]) || inside == 3))
                            cuts.Add((f[(i + 3) % 4], f[i]));
                }
                else if (inside == 2)
                {
                    var crossing = f.Where((e, i) => Inside(q[i]) != Inside(q[(i + 1) % 4])).ToArray();
                    cuts.Add((crossing[0], crossing[1]));
                }
                var normal = (X: axis == 0 ? 2 * side - 1 : 0, Y: axis == 1 ? 2 * side - 1 : 0, Z: axis == 2 ? 2 * side - 1 : 0);
                foreach (var (e1, e2) in cuts)
                {
                    // Direct the cut A->B so that (B - A) x n points into the face's inside part: chained over the
                    // faces, the loop then runs counter-clockwise seen from outside the object.
                    var p = Midpoint(e1);
                    var d = Sub(Midpoint(e2), p);
                    var toward = Cross(d, normal);
                    var (lo, ax) = Edges[e1];
                    int insideEnd = Inside(lo) ? lo : lo | 1 << ax;
                    bool forward = Dot(toward, Sub(Corner(insideEnd), p)) > 0;
                    var (from, to) = forward ? (e1, e2) : (e2, e1);
                    if (!next.TryAdd(from, to)) throw new InvalidOperationException($"pattern {pattern}: edge {from} starts two cuts");
                }
            }
            var triangles = new List<int>();
            var seen = new HashSet<int>();
            foreach (var start in next.Keys.Order())
            {
                if (!seen.Add(start)) continue;
                var loop = new List<int> { start };
                for (int e = next[start]; e != start; e = next[e])
                {
                    seen.Add(e);
                    loop.Add(e);
                }
                Triangulate(loop, triangles, pattern);
            }
            table[pattern] = [.. triangles];
        }
        return table;
    }

    /// <summary>
    /// The triangulation of a loop with the shortest diagonals among those with no diagonal inside a cube face
    /// (dynamic programming over the polygon); triangles keep the loop's orientation.
    /// </summary>
    private static void Triangulate(List<int> loop, List<int> triangles, int pattern)
    {
        int n = loop.Count;
        var cost = new double[n, n];
        var split = new int[n, n];
        for (int len = 2; len < n; len++)
        for (int i = 0; i + len < n; i++)
        {
            int j = i + len;
            cost[i, j] = double.PositiveInfinity;
            bool isSide = i == 0 && j == n - 1;
            double own = isSide ? 0 : Allowed(loop[i], loop[j]) ? Length(loop[i], loop[j]) : double.PositiveInfinity;
            for (int k = i + 1; k < j; k++)
            {
                double c = cost[i, k] + cost[k, j] + own;
                if (c < cost[i, j])
                {
                    cost[i, j] = c;
                    split[i, j] = k;
                }
            }
        }
        if (double.IsPositiveInfinity(cost[0, n - 1]))
            throw new InvalidOperationException($"pattern {pattern}: loop of {n} edges has no triangulation without a diagonal in a cube face");
        Emit(0, n - 1);

        void Emit(int i, int j)
        {
            if (j - i < 2) return;
            int k = split[i, j];
            triangles.Add(loop[i]);
            triangles.Add(loop[k]);
            triangles.Add(loop[j]);
            Emit(i, k);
            Emit(k, j);
        }
    }

    private static bool Allowed(int e1, int e2) => !ShareAFace(e1, e2);

    private static double Length(int e1, int e2)
    {
        var d = Sub(Midpoint(e1), Midpoint(e2));
        return Math.Sqrt(Dot(d, d));
    }

    private static (double X, double Y, double Z) Sub((double X, double Y, double Z) a, (double X, double Y, double Z) b) => (a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    private static (double X, double Y, double Z) Cross((double X, double Y, double Z) a, (int X, int Y, int Z) b) =>
        (a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);

    private static double Dot((double X, double Y, double Z) a, (double X, double Y, double Z) b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
}
