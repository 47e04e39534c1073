using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;
using static Ffn.Tests.Model.Stitching.StitchFixtures;

namespace Ffn.Tests.Model.Stitching;

/// <summary>The faces merge against a straightforward reference written here: per-voxel loops over the assembled volume and a naive transitive closure.</summary>
public class FacesMergeTests
{
    [Theory]
    [InlineData(1, 20, 23, 26, 7, 8, 9, 3, 0.03, 1u)]     // partial edge blocks, some thinner than m
    [InlineData(2, 16, 30, 30, 16, 10, 10, 4, 0.0, 1u)]   // tiles span z (FFN-PyTorch's layout), no holes
    [InlineData(3, 18, 18, 18, 6, 6, 6, 6, 0.05, 1u)]     // m = block depth
    [InlineData(4, 12, 20, 25, 5, 7, 6, 2, 0.1, 9_000_000u)] // ids above the dense-table range
    [InlineData(5, 10, 12, 14, 3, 4, 5, 15, 0.0, 1u)]     // m larger than every block: only volume-edge blocks qualify
    public void EqualsPerVoxelReference(int seed, int sz, int sy, int sx, int bz, int by, int bx, int m, double holes, uint idBase)
    {
        var shape = new Vec3i(sz, sy, sx);
        var global = Voronoi(shape, 14, holes, seed);
        var blocks = StitchBlock.Grid(shape, new Vec3i(bz, by, bx));
        var labels = blocks.Select(b => Relabel(global, b, seed, idBase)).ToArray();
        using var tmp = new TempDir();
        var (ours, summary, _) = Stitch(shape, blocks, i => labels[i], new MergeOptions(MergeMode.Faces, m),
            Shuffled(blocks.Count, seed), tmp.File("out.tif"));
        var expected = Reference(shape, blocks, labels, m);
        Assert.Equal(expected.Data, ours.Data);
        Assert.Equal(expected.Data.Max(), (uint)summary.ObjectsAfter);
        if (m <= 4) Assert.True(summary.PairsMerged > 0);
    }

    /// <summary>
    /// Assembles the blocks with ids (block, local), then for every voxel pair straddling a block boundary on each
    /// axis tests FFN-PyTorch's rule voxel by voxel (m voxels inward on each side equal to the face label; the slice
    /// clipped at the volume edge), unions by repeated min-propagation until nothing changes, and numbers the
    /// objects by first (block, local id).
    /// </summary>
    private static Volume<uint> Reference(Vec3i shape, IReadOnlyList<StitchBlock> blocks, Volume<uint>[] labels, int m)
    {
        var owner = new int[shape.Product];
        var key = new long[shape.Product];
        var vol = new Volume<uint>(shape);
        for (int b = 0; b < blocks.Count; b++)
        {
            var c = blocks[b].Core;
            for (int z = c.Start.Z; z < c.End.Z; z++)
            for (int y = c.Start.Y; y < c.End.Y; y++)
            for (int x = c.Start.X; x < c.End.X; x++)
            {
                long i = vol.Index(z, y, x);
                owner[i] = b;
                uint l = labels[b][new Vec3i(z, y, x) - labels[b].Offset];
                key[i] = l == 0 ? 0 : ((long)b << 32) | l;
            }
        }
        var edges = new List<(long, long)>();
        for (int axis = 0; axis < 3; axis++)
        for (int z = 0; z < shape.Z; z++)
        for (int y = 0; y < shape.Y; y++)
        for (int x = 0; x < shape.X; x++)
        {
            var p = new Vec3i(z, y, x);
            var q = p + Step(axis, 1);
            if (q[axis] >= shape[axis]) continue;
            long ip = vol.Index(p.Z, p.Y, p.X), iq = vol.Index(q.Z, q.Y, q.X);
            if (owner[ip] == owner[iq] || key[ip] == 0 || key[iq] == 0) continue;
            if (Run(p, -1) && Run(q, +1)) edges.Add((key[ip], key[iq]));

            bool Run(Vec3i from, int dir)
            {
                long start = vol.Index(from.Z, from.Y, from.X);
                for (int k = 0; k < m; k++)
                {
                    var r = from + Step(axis, dir * k);
                    if (r[axis] < 0 || r[axis] >= shape[axis]) return true; // NumPy clips the slice at the edge
                    long ir = vol.Index(r.Z, r.Y, r.X);
                    if (owner[ir] != owner[start] || key[ir] != key[start]) return false;
                }
                return true;
            }
        }
        // Naive transitive closure: every key takes the smallest key it is joined to, until stable.
        var comp = key.Where(k => k != 0).Distinct().ToDictionary(k => k, k => k);
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var (a, b) in edges)
            {
                long lo = Math.Min(comp[a], comp[b]);
                if (comp[a] != lo) { comp[a] = lo; changed = true; }
                if (comp[b] != lo) { comp[b] = lo; changed = true; }
            }
        }
        var final = new Dictionary<long, uint>();
        foreach (var k in comp.Keys.Order()) // (block, local) order
            if (!final.ContainsKey(comp[k])) final[comp[k]] = (uint)final.Count + 1;
        for (long i = 0; i < key.Length; i++) vol.Data[i] = key[i] == 0 ? 0 : final[comp[key[i]]];
        return vol;
    }

    private static Vec3i Step(int axis, int k) => axis switch { 0 => new(k, 0, 0), 1 => new(0, k, 0), _ => new(0, 0, k) };
}
