using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using static Ffn.Tests.Model.Stitching.StitchFixtures;

namespace Ffn.Tests.Model.Stitching;

public class BlockAssemblerTests
{
    /// <summary>A resumed run adds blocks in another order: the written files must not change by a byte.</summary>
    [Theory]
    [InlineData(MergeMode.Faces, 0)]
    [InlineData(MergeMode.Overlap, 3)]
    [InlineData(MergeMode.None, 0)]
    public void OutputDoesNotDependOnArrivalOrder(MergeMode mode, int margin)
    {
        var shape = new Vec3i(19, 40, 37);
        var global = Voronoi(shape, 25, 0.02, 11);
        var blocks = StitchBlock.Grid(shape, new Vec3i(8, 16, 15), Vec3i.Fill(margin));
        var labels = blocks.Select(b => Relabel(global, b, 5)).ToArray();
        labels[4] = new Volume<uint>(blocks[4].LabelBox.Size, blocks[4].LabelBox.Start); // an all-zero block
        using var tmp = new TempDir();
        var merge = new MergeOptions(mode, 3, 10, 0.3);
        var runs = new[] { Enumerable.Range(0, blocks.Count), Shuffled(blocks.Count, 1), Shuffled(blocks.Count, 2).Reverse() }
            .Select((order, k) =>
            {
                var (v, s, _) = Stitch(shape, blocks, i => i == 7 ? null : labels[i], merge, order, tmp.File($"o{k}.tif"), tmp.File($"o{k}.h5"),
                    slabBytes: k == 2 ? 5L * 40 * 37 * 4 : 1L << 30); // the last one also in thinner slabs
                return (v, s, tif: File.ReadAllBytes(tmp.File($"o{k}.tif")), h5: ReadH5(tmp.File($"o{k}.h5")));
            }).ToList();
        foreach (var r in runs.Skip(1))
        {
            Assert.Equal(runs[0].tif, r.tif);
            Assert.Equal(runs[0].h5.Data, r.h5.Data);
            Assert.Equal(runs[0].s.ObjectsAfter, r.s.ObjectsAfter);
        }
        Assert.Equal(runs[0].v.Data, runs[0].h5.Data);
        // Ids are compact 1..K and the skipped and empty blocks are 0.
        var ids = runs[0].v.Data.Where(v => v != 0).Distinct().Order().ToArray();
        Assert.Equal(Enumerable.Range(1, ids.Length).Select(i => (uint)i), ids);
        Assert.Equal(runs[0].s.ObjectsAfter, ids.Length);
        Assert.All(runs[0].v.Crop(blocks[4].Core).Data, v => Assert.Equal(0u, v));
        Assert.All(runs[0].v.Crop(blocks[7].Core).Data, v => Assert.Equal(0u, v));
        if (mode == MergeMode.None) Assert.Equal(runs[0].s.ObjectsBefore, runs[0].s.ObjectsAfter);
        else Assert.True(runs[0].s.ObjectsAfter < runs[0].s.ObjectsBefore);
    }

    private static Volume<uint> ReadH5(string path)
    {
        using var r = VolumeStore.OpenRead(path + ":segmentation");
        return r.Read(r.Info.Box).As<uint>();
    }

    /// <summary>
    /// The merge data parked between Adds stays under one z-row of blocks and does not grow with the volume's depth
    /// (same peak for 6 and 12 block rows), and the output slabs respect SlabBytes, for both merge modes.
    /// </summary>
    [Theory]
    [InlineData(MergeMode.Faces, 0)]
    [InlineData(MergeMode.Overlap, 4)]
    public void MemoryStaysBounded(MergeMode mode, int margin)
    {
        var small = Run(96);
        var large = Run(192);
        Assert.Equal(small, large);

        long Run(int depth)
        {
            var shape = new Vec3i(depth, 128, 128);      // 6 or 12 MiB of uint32 output
            var blocks = StitchBlock.Grid(shape, new Vec3i(16, 32, 32), Vec3i.Fill(margin)); // z-rows of 16 blocks
            long budget = shape.Product * 4 / 8, rowBytes = blocks.Where(b => b.Core.Start.Z == 16).Sum(b => b.LabelBox.Volume) * 4;
            // Labels made on the fly from the block index: nothing volume-sized exists in the test either.
            Volume<uint> Make(int i)
            {
                var b = blocks[i];
                var v = new Volume<uint>(b.LabelBox.Size, b.LabelBox.Start);
                for (int z = 0; z < v.Shape.Z; z++)
                for (int y = 0; y < v.Shape.Y; y++)
                for (int x = 0; x < v.Shape.X; x++)
                {
                    var p = b.LabelBox.Start + new Vec3i(z, y, x);
                    v[z, y, x] = (uint)((p.Z / 20 * 13 + p.Y / 24 * 7 + p.X / 40) % 50 + 1 + (i % 3) * 100);
                }
                return v;
            }
            using var tmp = new TempDir();
            using var asm = new BlockAssembler(shape, blocks, new MergeOptions(mode, 4, 10, 0.5)) { SlabBytes = budget };
            foreach (var i in Enumerable.Range(0, blocks.Count)) asm.Add(i, Make(i));
            var s = asm.Write(Make, null, "segmentation", tmp.File("o.tif"), null, CancellationToken.None);
            Assert.True(asm.PeakPendingBytes <= rowBytes, $"pending {asm.PeakPendingBytes} > one row of blocks {rowBytes}");
            Assert.True(s.PeakSlabBytes <= budget, $"slab {s.PeakSlabBytes} > {budget}");
            Assert.Equal(0, asm.PendingBytes);
            Assert.True(s.ObjectsAfter < s.ObjectsBefore);
            using var r = VolumeStore.OpenRead(tmp.File("o.tif"));
            Assert.Equal(shape, r.Info.Shape);
            return asm.PeakPendingBytes;
        }
    }

    /// <summary>h5py and tifffile read both outputs back as (z, y, x) uint32 with the content we wrote.</summary>
    [Fact]
    public void OutputsReadBackInPython()
    {
        var shape = new Vec3i(13, 21, 34);
        var global = Voronoi(shape, 9, 0.05, 2);
        var blocks = StitchBlock.Grid(shape, new Vec3i(5, 10, 16), Vec3i.Fill(2));
        var labels = blocks.Select(b => Relabel(global, b, 3)).ToArray();
        using var tmp = new TempDir();
        var (v, s, _) = Stitch(shape, blocks, i => labels[i], new MergeOptions(MergeMode.Overlap, MinOverlapVoxels: 5),
            Enumerable.Range(0, blocks.Count), tmp.File("final_result.tif"), tmp.File("final_result.h5"));
        NpyFile.Write(tmp.File("expected.npy"), v);
        var got = PythonOracle.Run("""
import sys, numpy as np, h5py, tifffile
d = sys.argv[1]
t = tifffile.imread(d + '/final_result.tif')
with h5py.File(d + '/final_result.h5', 'r') as f:
    h = f['segmentation'][...]
    chunks = f['segmentation'].chunks
    comp = f['segmentation'].compression
e = np.load(d + '/expected.npy')
with tifffile.TiffFile(d + '/final_result.tif') as tf:
    big = tf.is_bigtiff
print(t.shape, t.dtype, h.shape, h.dtype, comp, big, bool((t == e).all()), bool((h == e).all()), len(np.unique(t)) - 1)
""", tmp.Path);
        Assert.Equal($"(13, 21, 34) uint32 (13, 21, 34) uint32 gzip True True True {s.ObjectsAfter}", got.Trim());
    }

    [Fact]
    public void RejectsBadLayoutsAndCalls()
    {
        var shape = new Vec3i(4, 8, 8);
        var ok = StitchBlock.Grid(shape, new Vec3i(4, 4, 8));
        Assert.Contains("cover", Assert.Throws<ArgumentException>(() => new BlockAssembler(shape, ok.Take(1).ToList(), MergeOptions.None)).Message);
        var overlapping = new List<StitchBlock> { ok[0], new(1, new Box3(new(0, 2, 0), new(4, 6, 8)), new Box3(new(0, 2, 0), new(4, 6, 8))) };
        Assert.Throws<ArgumentException>(() => new BlockAssembler(shape, overlapping, MergeOptions.None));
        var asm = new BlockAssembler(shape, ok, new MergeOptions(MergeMode.Faces));
        Assert.Throws<ArgumentException>(() => asm.Add(0, new Volume<uint>(new Vec3i(4, 4, 4))));
        asm.Add(0, null);
        Assert.Throws<InvalidOperationException>(() => asm.Add(0, (Volume<uint>?)null));
        using var tmp = new TempDir();
        Assert.Throws<InvalidOperationException>(() => asm.Write(_ => null, null, "s", tmp.File("x.tif"), null, CancellationToken.None));
        Assert.False(File.Exists(tmp.File("x.tif")));
    }

    /// <summary>uint64 block labels beyond 32 bits are narrowed by rank, the same way in Add and Write.</summary>
    [Fact]
    public void AcceptsUInt64Labels()
    {
        var shape = new Vec3i(6, 10, 10);
        var blocks = StitchBlock.Grid(shape, new Vec3i(6, 10, 5));
        Volume<ulong> Make(int i)
        {
            var v = new Volume<ulong>(blocks[i].LabelBox.Size, blocks[i].LabelBox.Start);
            for (int k = 0; k < v.Data.Length; k++) v.Data[k] = (k % 10) < 5 ? (1UL << 40) + (ulong)i : 7;
            return v;
        }
        using var tmp = new TempDir();
        var asm = new BlockAssembler(shape, blocks, new MergeOptions(MergeMode.Faces, 2));
        asm.Add(1, Make(1));
        asm.Add(0, Make(0));
        var s = asm.Write(Make, null, "s", tmp.File("o.tif"), null, CancellationToken.None);
        Assert.Equal(4, s.ObjectsBefore);
        // Rows alternate 2^40+block / 7 in both blocks; across the x face each row merges with its twin.
        Assert.Equal(2, s.ObjectsAfter);
    }
}
