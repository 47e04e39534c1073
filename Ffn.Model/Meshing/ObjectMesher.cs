using System.Numerics;
using System.Runtime.InteropServices;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Meshing;

/// <summary>
/// The closed surface of one object of a label volume: marching cubes (<see cref="MarchingCubesTable"/>) on the
/// object's binary mask, with the cubes between voxel centres, so each vertex is the midpoint of a lattice edge
/// between an inside and an outside voxel and lies on the face between the two voxels. The cubes covering the
/// object's bounding box grown by one voxel (outside it the mask is 0, so the surface closes) are meshed in
/// sub-blocks of at most <c>blockSize</c>³ cubes, each read with the one voxel it shares with the next; only a
/// sub-block of labels is in memory at a time, never the whole box. A vertex is named by its lattice edge, the same
/// in every sub-block, so the pieces weld exactly; vertices are then ordered by that name and triangles sorted, so
/// the mesh does not depend on the sub-block size or the order the sub-blocks finish in.
/// </summary>
public static class ObjectMesher
{
    /// <summary>
    /// Meshes object <paramref name="id"/> within <paramref name="box"/> (its bounding box, or any box holding it) of
    /// <paramref name="labels"/>, placing vertices by <paramref name="transform"/>. With <paramref name="parallelism"/>
    /// above 1 sub-blocks are meshed at once, so <paramref name="labels"/> must then allow concurrent reads.
    /// </summary>
    public static TriangleMesh Mesh(IVolumeReader labels, ulong id, Box3 box, VoxelTransform transform, int blockSize = 128,
        int parallelism = 1, CancellationToken ct = default)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), $"block size must be >= 1, got {blockSize}");
        LabelDType.Require(labels);
        var shape = labels.Info.Shape;
        box = box.Intersect(labels.Info.Box);
        if (box.IsEmpty) return TriangleMesh.Empty;
        // Cube c has corners c .. c + 1: the cubes with a corner in the box start one voxel before it.
        var cubes = Box3.FromStartEnd(box.Start - Vec3i.One, box.End);
        var key = new EdgeKey(shape);
        var blocks = cubes.Tiles(Vec3i.Fill(blockSize)).ToArray();
        var pieces = new Piece[blocks.Length];
        Parallel.For(0, blocks.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct },
            i => pieces[i] = MeshBlock(labels, id, box, blocks[i], key));
        return Weld(pieces, key, transform);
    }

    /// <summary>The triangles of one sub-block, each vertex as its lattice edge's key.</summary>
    private sealed record Piece(long[] Keys, int[] Triangles);

    private static Piece MeshBlock(IVolumeReader labels, ulong id, Box3 box, Box3 cubes, EdgeKey key)
    {
        // The mask holds the block's voxels (one more than its cubes per axis), 0 outside the object's box.
        var size = cubes.Size + Vec3i.One;
        var mask = new byte[size.Product];
        var rows = new bool[size.Z * size.Y];
        var read = new Box3(cubes.Start, size).Intersect(box);
        if (read.IsEmpty || !FillMask(labels.Read(read), id, mask, rows, cubes.Start, size)) return new Piece([], []);
        var keys = new List<long>();
        var triangles = new List<int>();
        var local = new Dictionary<long, int>();
        var edges = MarchingCubesTable.Edges;
        int sy = size.X, sz = size.Y * size.X;
        // Offsets in the mask of the eight corners of a cube, corner c at (x, y, z) = bits 0, 1, 2 of c.
        Span<int> corner = stackalloc int[8];
        for (int c = 0; c < 8; c++) corner[c] = (c & 1) + ((c >> 1) & 1) * sy + ((c >> 2) & 1) * sz;
        for (int z = 0; z < cubes.Size.Z; z++)
        for (int y = 0; y < cubes.Size.Y; y++)
        {
            // A row of cubes whose four rows of voxels hold none of the object has no surface.
            int r = z * size.Y + y;
            if (!(rows[r] || rows[r + 1] || rows[r + size.Y] || rows[r + size.Y + 1])) continue;
            int row = z * sz + y * sy;
            for (int x = 0; x < cubes.Size.X; x++)
            {
                int at = row + x, pattern = 0;
                for (int c = 0; c < 8; c++) pattern |= mask[at + corner[c]] << c;
                if (pattern is 0 or 255) continue;
                foreach (var e in MarchingCubesTable.Triangles[pattern])
                {
                    var (low, axis) = edges[e];
                    long k = key.Of(cubes.Start.Z + z + ((low >> 2) & 1), cubes.Start.Y + y + ((low >> 1) & 1), cubes.Start.X + x + (low & 1), axis);
                    ref int v = ref CollectionsMarshal.GetValueRefOrAddDefault(local, k, out bool known);
                    if (!known)
                    {
                        v = keys.Count;
                        keys.Add(k);
                    }
                    triangles.Add(v);
                }
            }
        }
        return new Piece([.. keys], [.. triangles]);
    }

    /// <summary>
    /// Sets mask voxels where the labels equal <paramref name="id"/>, and the flags of the mask rows (z, y) that hold
    /// one; false when none does.
    /// </summary>
    private static bool FillMask(Volume labels, ulong id, byte[] mask, bool[] rows, Vec3i maskStart, Vec3i maskSize) => labels switch
    {
        Volume<byte> v => Fill(v, id, mask, rows, maskStart, maskSize),
        Volume<ushort> v => Fill(v, id, mask, rows, maskStart, maskSize),
        Volume<uint> v => Fill(v, id, mask, rows, maskStart, maskSize),
        Volume<ulong> v => Fill(v, id, mask, rows, maskStart, maskSize),
        Volume<int> v => Fill(v, id, mask, rows, maskStart, maskSize),
        Volume<long> v => Fill(v, id, mask, rows, maskStart, maskSize),
        var v => Fill(v.ConvertTo<byte>(), id, mask, rows, maskStart, maskSize), // bool
    };

    private static bool Fill<T>(Volume<T> labels, ulong id, byte[] mask, bool[] rows, Vec3i maskStart, Vec3i maskSize) where T : unmanaged, IBinaryInteger<T>
    {
        var target = T.CreateTruncating(id);
        if (ulong.CreateTruncating(target) != id) return false; // an id this dtype cannot hold
        bool any = false;
        var o = labels.Offset - maskStart;
        for (int z = 0; z < labels.Shape.Z; z++)
        for (int y = 0; y < labels.Shape.Y; y++)
        {
            var row = labels.Row(z, y);
            int r = (o.Z + z) * maskSize.Y + o.Y + y, m = r * maskSize.X + o.X;
            for (int x = 0, k; x < row.Length && (k = row[x..].IndexOf(target)) >= 0;)
            {
                x += k;
                int rest = row[x..].IndexOfAnyExcept(target), end = rest < 0 ? row.Length : x + rest;
                mask.AsSpan(m + x, end - x).Fill(1);
                rows[r] = any = true;
                x = end;
            }
        }
        return any;
    }

    /// <summary>Joins the pieces: one vertex per distinct key, in key order; triangles remapped and sorted.</summary>
    private static TriangleMesh Weld(Piece[] pieces, EdgeKey key, VoxelTransform transform)
    {
        var all = new long[pieces.Sum(p => (long)p.Keys.Length)];
        int n = 0;
        foreach (var p in pieces)
        {
            p.Keys.CopyTo(all, n);
            n += p.Keys.Length;
        }
        Array.Sort(all);
        int distinct = 0;
        for (int i = 0; i < all.Length; i++)
            if (i == 0 || all[i] != all[i - 1]) all[distinct++] = all[i];
        var keys = all.AsSpan(0, distinct);
        var triangles = new Tri[pieces.Sum(p => p.Triangles.Length / 3)];
        int t = 0;
        foreach (var p in pieces)
        {
            var global = new int[p.Keys.Length];
            for (int i = 0; i < global.Length; i++) global[i] = keys.BinarySearch(p.Keys[i]);
            for (int i = 0; i < p.Triangles.Length; i += 3)
                triangles[t++] = Tri.Canonical(global[p.Triangles[i]], global[p.Triangles[i + 1]], global[p.Triangles[i + 2]]);
        }
        Array.Sort(triangles);
        var indices = new int[3 * triangles.Length];
        for (int i = 0; i < triangles.Length; i++)
        {
            indices[3 * i] = triangles[i].A;
            indices[3 * i + 1] = triangles[i].B;
            indices[3 * i + 2] = triangles[i].C;
        }
        var positions = new float[3 * distinct];
        for (int i = 0; i < distinct; i++)
        {
            var (z, y, x) = key.Midpoint(keys[i]);
            positions[3 * i] = (float)transform.X(x);
            positions[3 * i + 1] = (float)transform.Y(y);
            positions[3 * i + 2] = (float)transform.Z(z);
        }
        return new TriangleMesh(positions, indices);
    }

    /// <summary>A triangle rotated to start at its smallest index (same orientation), ordered by its indices.</summary>
    private readonly record struct Tri(int A, int B, int C) : IComparable<Tri>
    {
        public static Tri Canonical(int a, int b, int c) =>
            a <= b && a <= c ? new(a, b, c) : b <= c ? new(b, c, a) : new(c, a, b);

        public int CompareTo(Tri o) => A != o.A ? A.CompareTo(o.A) : B != o.B ? B.CompareTo(o.B) : C.CompareTo(o.C);
    }

    /// <summary>
    /// Names the lattice edge from voxel (z, y, x) to its neighbour along an axis (0 = x, 1 = y, 2 = z) by one number,
    /// for voxels from -1 to the shape (the padding around the volume), in z, y, x, axis order.
    /// </summary>
    private sealed class EdgeKey(Vec3i shape)
    {
        private readonly long _y = shape.X + 2, _z = (long)(shape.Y + 2) * (shape.X + 2);

        public long Of(int z, int y, int x, int axis) => (((z + 1) * _z + (y + 1) * _y + (x + 1)) * 3) + axis;

        /// <summary>The edge's midpoint in voxel coordinates (z, y, x).</summary>
        public (double Z, double Y, double X) Midpoint(long key)
        {
            int axis = (int)(key % 3);
            long v = key / 3;
            double z = v / _z - 1, y = v % _z / _y - 1, x = v % _y - 1;
            return axis switch { 0 => (z, y, x + 0.5), 1 => (z, y + 0.5, x), _ => (z + 0.5, y, x) };
        }
    }
}
