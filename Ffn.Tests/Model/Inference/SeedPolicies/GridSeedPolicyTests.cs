using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

public class GridSeedPolicyTests
{
    [Fact]
    public void GridEqualsGooglesPolicyGrid3dLoops()
    {
        var shape = new Vec3i(40, 70, 53);
        var margin = new Vec3i(16, 16, 16);
        // google/ffn's PolicyGrid3d.init_coords and BaseSeedPolicy's filter, written out in Python.
        var expected = SeedOracle.Coords(SeedOracle.Run("""
            shape = (40, 70, 53)
            coords = []
            for offset in (0, 8, 4, 12, 2, 10, 14):
                for z in range(offset, shape[0], 16):
                    for y in range(offset, shape[1], 16):
                        for x in range(offset, shape[2], 16):
                            coords.append((z, y, x))
            coords = np.array(coords, dtype=np.int64)
            m = np.array((16, 16, 16))[np.newaxis, ...]
            out['c'] = coords[np.all((coords - m >= 0) & (coords + m < shape), axis=1), :]
            """, new Dictionary<string, NdArray>())["c"]);

        foreach (var name in new[] { "PolicyGrid3d", "PolicyGrid", "grid" })
        {
            var policy = SeedPolicyRegistry.Create(name, new Volume<float>(shape), margin, (1, 1, 1));
            Assert.IsType<GridSeedPolicy>(policy);
            Assert.Equal("PolicyGrid3d", policy.Name);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, policy.Candidates);
        }
    }

    [Fact]
    public void CandidatesAreValidCentresInSweepOrder()
    {
        var policy = new GridSeedPolicy(new Vec3i(50, 50, 50), new Vec3i(5, 5, 5), step: 10, offsets: [0, 5]);
        var c = policy.Candidates;
        Assert.All(c, p => Assert.True(policy.IsValidCentre(p)));
        // Per axis, offset 0 gives 10..40 (0 is inside the margin) and offset 5 gives 5..35 (45 + 5 is not < 50).
        Assert.Equal(new Vec3i(10, 10, 10), c[0]);
        Assert.Equal(4 * 4 * 4 + 4 * 4 * 4, c.Count);
        Assert.Equal(new Vec3i(5, 5, 5), c[64]);
    }

    [Fact]
    public void UnknownNameIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SeedPolicyRegistry.Create("PolicyNope", new Volume<float>(new Vec3i(4, 4, 4)), Vec3i.One, (1, 1, 1)));
        Assert.Contains("PolicyPeaks", ex.Message);
    }
}
