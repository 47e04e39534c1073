using Ffn.Model.Geometry;
using Ffn.Model.Training;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Training;

/// <summary>Axis permutations and reflections against NumPy's transpose and flip.</summary>
public class AugmentationTests
{
    [Theory]
    [InlineData(new[] { 0, 2, 1 }, new[] { true, false, true })]
    [InlineData(new[] { 2, 0, 1 }, new[] { false, true, false })]
    [InlineData(new[] { 1, 0, 2 }, new[] { false, false, false })]
    [InlineData(new[] { 0, 1, 2 }, new[] { true, true, true })]
    public void Matches_numpy_transpose_then_flip(int[] perm, bool[] reflect)
    {
        using var dir = new TempDir();
        var shape = new Vec3i(3, 4, 5);
        var src = Enumerable.Range(0, 60).Select(i => (float)i).ToArray();
        var aug = new Augmentation(perm, reflect);
        var outShape = aug.OutputShape(shape);
        NpyFile.Write(dir.File("ours.npy"), NdArray.Create(aug.Apply(src, shape), outShape.Z, outShape.Y, outShape.X));
        var r = PythonOracle.Run("""
import sys, numpy as np
perm = [int(v) for v in sys.argv[2].split(',')]; refl = [v == '1' for v in sys.argv[3].split(',')]
a = np.transpose(np.arange(60, dtype=np.float32).reshape(3, 4, 5), perm)
for k in range(3):
    if refl[k]: a = np.flip(a, k)
o = np.load(sys.argv[1])
print(o.shape == a.shape and bool((o == a).all()))
""", dir.File("ours.npy"), string.Join(",", perm), string.Join(",", reflect.Select(b => b ? "1" : "0")));
        Assert.Equal("True", r.Trim());
    }

    [Fact]
    public void Examples_permute_only_allowed_axes_and_are_fixed_by_seed_and_ordinal()
    {
        // Image value 100 z + 10 y + x: a step along output axis k changes the value by 100, 10 or 1 per input axis.
        using var data = TrainingTestData.Create(seed: 3);
        var o = new TrainingOptions { FovSize = new Vec3i(5, 5, 5), Deltas = new Vec3i(1, 1, 1), ImageMean = 0, ImageStddev = 1, PermuteZ = false };
        var f = new ExampleFactory(data.Data, o);
        var a = f.Make(7);
        Assert.Equal(a.Image, f.Make(7).Image);
        Assert.Equal(a.Moves, f.Make(7).Moves);
        Assert.Equal(Vec3i.Zero, a.Moves[0]);
        Assert.Equal(27, a.Moves.Distinct().Count());
        var axis1Steps = new HashSet<float>();
        var flipsSeen = new HashSet<float>();
        for (int i = 0; i < 40; i++)
        {
            var ex = f.Make(i);
            float dz = ex.Image[49] - ex.Image[0], dy = ex.Image[7] - ex.Image[0];
            Assert.Equal(100f, Math.Abs(dz)); // z stays axis 0
            axis1Steps.Add(Math.Abs(dy));
            flipsSeen.Add(dz);
        }
        Assert.Equal([1f, 10f], axis1Steps.Order()); // y and x swapped in some examples, not in others
        Assert.Equal(2, flipsSeen.Count); // z reflected in some
        Assert.True(Enumerable.Range(0, 40).Select(i => f.Make(i).Moves[1]).Distinct().Count() > 5, "move orders do not vary between examples");
    }
}
