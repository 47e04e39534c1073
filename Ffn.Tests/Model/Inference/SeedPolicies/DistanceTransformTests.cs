using System.Globalization;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Xunit.Abstractions;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>Our EDT against scipy.ndimage.distance_transform_edt, isotropic and anisotropic.</summary>
public class DistanceTransformTests(ITestOutputHelper log)
{
    public static TheoryData<double, double, double, double, int> Cases => new()
    {
        // background fraction, sampling z, y, x, seed
        { 0.3, 1.0, 1.0, 1.0, 1 },
        { 0.01, 1.0, 1.0, 1.0, 2 },   // sparse background: long distances, lines without any background
        { 0.3, 2.0, 1.3, 0.7, 3 },
        { 0.005, 1.0, 1.0, 3.5, 4 },
        { 0.02, 4.0, 1.0, 1.0, 5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EqualsScipy(double backgroundFraction, double sz, double sy, double sx, int seed)
    {
        var shape = new Vec3i(17, 26, 21);
        var rng = new Random(seed);
        var fg = new Volume<bool>(shape);
        for (long i = 0; i < fg.Length; i++) fg.Data[i] = rng.NextDouble() >= backgroundFraction;
        fg.Data[rng.Next((int)fg.Length)] = false; // at least one background voxel

        var py = SeedOracle.Run("""
            from scipy import ndimage
            s = tuple(float(v) for v in sys.argv[3:6])
            out['d'] = ndimage.distance_transform_edt(inp['fg'], sampling=s)
            """, new Dictionary<string, NdArray> { ["fg"] = SeedOracle.Array(fg) },
            sz.ToString("R", CultureInfo.InvariantCulture), sy.ToString("R", CultureInfo.InvariantCulture),
            sx.ToString("R", CultureInfo.InvariantCulture));
        var expected = py["d"].Get<double>();
        var actual = DistanceTransform.Euclidean(fg, (sz, sy, sx)).Data;

        int differ = 0, differ32 = 0;
        double maxAbs = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i]) differ++;
            if ((float)expected[i] != (float)actual[i]) differ32++;
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i] - actual[i]));
        }
        log.WriteLine($"sampling ({sz}, {sy}, {sx}): {differ} float64 values differ (max abs {maxAbs:G3}), " +
                      $"{differ32} after float32 rounding; max distance {expected.Max():G6}");
        Assert.True(maxAbs <= 1e-12 * Math.Max(1, expected.Max()), $"max abs diff {maxAbs}");
        Assert.Equal(0, differ32);
        if (sz == 1 && sy == 1 && sx == 1) Assert.Equal(0, differ); // integer squared distances: exact
    }

    [Fact]
    public void NoBackgroundGivesInfinity()
    {
        var fg = new Volume<bool>(new Vec3i(3, 4, 5));
        Array.Fill(fg.Data, true);
        Assert.All(DistanceTransform.Euclidean(fg, (1, 1, 1)).Data, d => Assert.True(double.IsPositiveInfinity(d)));
    }

    [Fact]
    public void SinglePointGivesAnalyticDistances()
    {
        var shape = new Vec3i(7, 8, 9);
        var fg = new Volume<bool>(shape);
        Array.Fill(fg.Data, true);
        fg[2, 5, 1] = false;
        var d2 = DistanceTransform.SquaredEuclidean(fg, (2.0, 1.0, 0.5));
        for (int z = 0; z < shape.Z; z++)
        for (int y = 0; y < shape.Y; y++)
        for (int x = 0; x < shape.X; x++)
        {
            double dz = (z - 2) * 2.0, dy = (y - 5) * 1.0, dx = (x - 1) * 0.5;
            Assert.Equal(dz * dz + dy * dy + dx * dx, d2[z, y, x]);
        }
    }
}
