using Ffn.Model.Evaluation;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;

namespace Ffn.Tests.Model.Evaluation;

public class SegmentationAgreementTests
{
    private static readonly Vec3i Shape = new(1, 2, 4);

    [Fact]
    public void Relabelled_objects_agree_and_a_merge_costs_its_entropy()
    {
        int[] a = [1, 1, 2, 2, 0, 0, 3, 3];
        var same = SegmentationAgreement.Compare(a, [5, 5, 7, 7, 0, 0, 9, 9], Shape, [], []);
        Assert.Equal(0, same.Vi, 12);
        Assert.Equal(6, same.DifferingVoxels);
        Assert.Equal(-1, same.TraceDivergence);

        // b merges objects 1 and 2 (four voxels split evenly): H(a|b) = 4/8 * 1 bit; nothing is split.
        var merged = SegmentationAgreement.Compare(a, [1, 1, 1, 1, 0, 0, 3, 3], Shape, [], []);
        Assert.Equal(0.5, merged.ViMerge, 12);
        Assert.Equal(0, merged.ViSplit, 12);
        Assert.Equal(0.5, merged.Vi, 12);
        // Scored on a's objects (six labelled voxels): the merged four carry 4/6 bit of merge.
        Assert.Equal(4.0 / 6, merged.BAgainstA.Merge, 12);
        Assert.Equal(0, merged.AAgainstB.Merge, 12);
        Assert.Equal(4.0 / 6, merged.AAgainstB.Split, 12);
    }

    [Fact]
    public void Negative_markers_count_as_unlabelled()
    {
        var g = SegmentationAgreement.Compare([1, -1, 2, 2, 0, 0, 3, 3], [1, 0, 2, 2, 0, 0, 3, 3], Shape, [], []);
        Assert.Equal(0, g.DifferingVoxels);
        Assert.Equal(0, g.Vi, 12);
    }

    [Fact]
    public void Traces_part_at_the_first_differing_step()
    {
        FovStep S(int attempt, int z) => new(attempt, new Vec3i(z, 16, 16));
        int[] seg = [1, 1, 1, 1, 1, 1, 1, 1];
        Assert.Equal(2, SegmentationAgreement.Compare(seg, seg, Shape, [S(0, 16), S(0, 24), S(0, 32)], [S(0, 16), S(0, 24), S(1, 32)]).TraceDivergence);
        Assert.Equal(1, SegmentationAgreement.Compare(seg, seg, Shape, [S(0, 16)], [S(0, 16), S(0, 24)]).TraceDivergence);
        Assert.Equal(-1, SegmentationAgreement.Compare(seg, seg, Shape, [S(0, 16)], [S(0, 16)]).TraceDivergence);
    }
}
