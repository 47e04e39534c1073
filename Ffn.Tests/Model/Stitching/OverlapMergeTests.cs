using Ffn.Model.Evaluation;
using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Synthetic;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;
using Xunit.Abstractions;
using static Ffn.Tests.Model.Stitching.StitchFixtures;

namespace Ffn.Tests.Model.Stitching;

/// <summary>
/// Ground-truth labels of a synthetic volume, cut into blocks and spoiled the way block-wise inference spoils them:
/// each block numbers its objects independently, and near the faces of the box it segmented (where a FoV cannot be
/// centred) it loses voxels and breaks objects into fragments. Stitched with each merge mode and scored against the
/// ground truth, overlap must beat faces, which must beat none.
/// </summary>
public class OverlapMergeTests(ITestOutputHelper output)
{
    private const int Shell = 4;

    [Fact]
    public void OverlapBeatsFacesBeatsNone()
    {
        var synth = SynthGenerator.Generate(new SynthOptions { Shape = new Vec3i(48, 96, 96), Seed = 3 });
        var gt = synth.Labels;
        var core = new Vec3i(24, 48, 48);
        var vi = new Dictionary<MergeMode, SegmentationMetrics>();
        using var tmp = new TempDir();
        foreach (var (mode, margin) in new[] { (MergeMode.None, 0), (MergeMode.Faces, 0), (MergeMode.Overlap, 6) })
        {
            var blocks = StitchBlock.Grid(gt.Shape, core, Vec3i.Fill(margin));
            var labels = blocks.Select(b => Spoil(Relabel(gt, b, 17), gt.Shape, b.Index)).ToArray();
            var (result, summary, _) = Stitch(gt.Shape, blocks, i => labels[i], new MergeOptions(mode), Shuffled(blocks.Count, 4),
                tmp.File($"{mode}.tif"));
            vi[mode] = SegmentationEvaluator.Evaluate(new InMemoryVolumeReader("seg", result), new InMemoryVolumeReader("gt", gt));
            output.WriteLine($"{mode}: VI {vi[mode].VariationOfInformation:F4} (split {vi[mode].Split:F4}, merge {vi[mode].Merge:F4}); " +
                $"objects {summary.ObjectsBefore} -> {summary.ObjectsAfter}, pairs merged {summary.PairsMerged}, gt objects {synth.ObjectCount}");
        }
        Assert.True(vi[MergeMode.Overlap].VariationOfInformation < vi[MergeMode.Faces].VariationOfInformation);
        Assert.True(vi[MergeMode.Faces].VariationOfInformation < vi[MergeMode.None].VariationOfInformation);
    }

    /// <summary>
    /// Within <see cref="Shell"/> voxels of each face of the labelled box that is not a volume face: a tenth of the
    /// voxels become 0 and objects lose fragments (a new id for a quarter of the 4-voxel cubes of each object).
    /// </summary>
    private static Volume<uint> Spoil(Volume<uint> v, Vec3i volume, int seed)
    {
        var rng = new Random(seed);
        var box = v.Box;
        var fragments = new Dictionary<(uint, int, int, int), uint>();
        uint next = v.Data.Max() + 1;
        for (int z = 0; z < v.Shape.Z; z++)
        for (int y = 0; y < v.Shape.Y; y++)
        for (int x = 0; x < v.Shape.X; x++)
        {
            var p = box.Start + new Vec3i(z, y, x);
            if (!NearInnerFace(p, box, volume)) continue;
            ref uint l = ref v[z, y, x];
            if (l == 0) continue;
            if (rng.NextDouble() < 0.1) { l = 0; continue; }
            var k = (l, p.Z / 4, p.Y / 4, p.X / 4);
            if (!fragments.TryGetValue(k, out var f)) fragments[k] = f = rng.NextDouble() < 0.75 ? l : next++;
            l = f;
        }
        return v;
    }

    private static bool NearInnerFace(Vec3i p, Box3 box, Vec3i volume)
    {
        for (int a = 0; a < 3; a++)
        {
            if (box.Start[a] > 0 && p[a] < box.Start[a] + Shell) return true;
            if (box.End[a] < volume[a] && p[a] >= box.End[a] - Shell) return true;
        }
        return false;
    }
}
