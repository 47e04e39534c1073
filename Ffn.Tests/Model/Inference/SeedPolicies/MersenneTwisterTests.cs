using System.Globalization;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Inference.SeedPolicies;

/// <summary>Our MT19937 against NumPy's legacy RandomState: first values by repr, then a bulk fill bit for bit.</summary>
public class MersenneTwisterTests
{
    [Theory]
    [InlineData(42u)]
    [InlineData(0u)]
    [InlineData(4294967295u)]
    public void RandMatchesNumPyRandomState(uint seed)
    {
        var lines = PythonOracle.Run("""
            import sys, numpy as np
            rs = np.random.RandomState(int(sys.argv[1]))
            print(' '.join(repr(float(v)) for v in rs.rand(5)))
            # 3*7*101 doubles take 4242 words: several regenerations of the 624-word state.
            print(rs.rand(3, 7, 101).tobytes().hex())
            """, seed.ToString(CultureInfo.InvariantCulture)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var rng = new MersenneTwister(seed);
        var first = lines[0].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(5, first.Length);
        foreach (var expected in first)
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(rng.NextDouble()));

        var bulk = Convert.FromHexString(lines[1].Trim());
        var expectedBulk = new double[bulk.Length / 8];
        Buffer.BlockCopy(bulk, 0, expectedBulk, 0, bulk.Length);
        var actual = new double[expectedBulk.Length];
        rng.Fill(actual);
        Assert.Equal(expectedBulk, actual);
    }

    [Fact]
    public void ReseedingRestartsTheSequence()
    {
        var rng = new MersenneTwister(7);
        var a = new double[700];
        rng.Fill(a);
        rng.Seed(7);
        var b = new double[700];
        rng.Fill(b);
        Assert.Equal(a, b);
        rng.Seed(8);
        Assert.NotEqual(a[0], rng.NextDouble());
    }
}
