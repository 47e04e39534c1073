using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

public class RegionSeedPolicyTests
{
    [Fact]
    public void Keeps_only_candidates_inside_the_region_in_their_order_and_resumes()
    {
        var all = new List<Vec3i> { new(0, 0, 0), new(5, 5, 5), new(9, 9, 9), new(4, 6, 5), new(5, 5, 10), new(6, 4, 4) };
        var region = new Box3(new Vec3i(4, 4, 4), new Vec3i(3, 3, 3)); // 4..6 on every axis
        var p = new RegionSeedPolicy(new ListSeedPolicy(all), region);
        Assert.False(p.IsInitialized);
        Assert.Equal([new(5, 5, 5), new(4, 6, 5), new(6, 4, 4)], p.Candidates);
        Assert.True(p.TryNext(out var a));
        Assert.Equal(new Vec3i(5, 5, 5), a);
        Assert.Equal("PolicyList", p.Name);

        var q = new RegionSeedPolicy(new ListSeedPolicy([]), region);
        q.Restore(p.Candidates, p.Position);
        var rest = new List<Vec3i>();
        while (q.TryNext(out var s)) rest.Add(s);
        Assert.Equal([new(4, 6, 5), new(6, 4, 4)], rest);
    }
}
