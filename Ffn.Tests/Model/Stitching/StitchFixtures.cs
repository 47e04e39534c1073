using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Stitching;

/// <summary>Test volumes for stitching: global labels cut into blocks, each relabelled independently (as separate inference runs would).</summary>
internal static class StitchFixtures
{
    /// <summary>Voronoi cells of <paramref name="cells"/> random seeds, ids 1..cells, with <paramref name="holes"/> of the voxels 0.</summary>
    public static Volume<uint> Voronoi(Vec3i shape, int cells, double holes, int seed)
    {
        var rng = new Random(seed);
        var pts = Enumerable.Range(0, cells).Select(_ => new Vec3i(rng.Next(shape.Z), rng.Next(shape.Y), rng.Next(shape.X))).ToArray();
        var v = new Volume<uint>(shape);
        for (int z = 0; z < shape.Z; z++)
        for (int y = 0; y < shape.Y; y++)
        for (int x = 0; x < shape.X; x++)
        {
            int best = 0;
            long bd = long.MaxValue;
            for (int i = 0; i < pts.Length; i++)
            {
                long dz = z - pts[i].Z, dy = y - pts[i].Y, dx = x - pts[i].X, d = dz * dz + dy * dy + dx * dx;
                if (d < bd) { bd = d; best = i; }
            }
            v[z, y, x] = rng.NextDouble() < holes ? 0 : (uint)best + 1;
        }
        return v;
    }

    /// <summary>
    /// Block <paramref name="b"/>'s labels: <paramref name="global"/> over its LabelBox, each id replaced by a
    /// block-specific random id (distinct per block, &gt;= <paramref name="idBase"/>), 0 kept.
    /// </summary>
    public static Volume<uint> Relabel(Volume<uint> global, StitchBlock b, int seed, uint idBase = 1)
    {
        var crop = global.Crop(b.LabelBox);
        var rng = new Random(seed * 7919 + b.Index);
        var map = new Dictionary<uint, uint>();
        var used = new HashSet<uint>();
        for (int i = 0; i < crop.Data.Length; i++)
        {
            uint g = crop.Data[i];
            if (g == 0) continue;
            if (!map.TryGetValue(g, out var l))
            {
                do l = idBase + (uint)rng.Next(0, 4 * 1024); while (!used.Add(l));
                map[g] = l;
            }
            crop.Data[i] = l;
        }
        return crop;
    }

    /// <summary>Adds every block in <paramref name="order"/> and writes the TIFF (and HDF5 when asked); returns the volume read back.</summary>
    public static (Volume<uint> Result, StitchSummary Summary, BlockAssembler Assembler) Stitch(
        Vec3i shape, IReadOnlyList<StitchBlock> blocks, Func<int, Volume<uint>?> labels, MergeOptions merge,
        IEnumerable<int> order, string tiffPath, string? h5Path = null, long slabBytes = 1L << 30)
    {
        var asm = new BlockAssembler(shape, blocks, merge) { SlabBytes = slabBytes };
        foreach (int i in order) asm.Add(i, labels(i));
        Assert.True(asm.IsComplete);
        var summary = asm.Write(i => labels(i), h5Path, "segmentation", tiffPath, null, CancellationToken.None);
        using var r = VolumeStore.OpenRead(tiffPath);
        return (r.Read(r.Info.Box).As<uint>(), summary, asm);
    }

    public static int[] Shuffled(int n, int seed)
    {
        var a = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(a);
        return a;
    }
}
