using System.Globalization;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Runtime;

/// <summary>
/// The self-check's reference convolution against PyTorch in float64 (Python, an independent implementation), its
/// error measure against known-bad results, and the check itself against the kernels this process runs.
/// </summary>
public class KernelSelfCheckTests
{
    [Trait("Category", "Numerics")]
    [Trait("Purpose", "Training")] // every case, backward ones included
    [Fact]
    public void Kernels_in_use_pass_the_self_check()
    {
        var r = KernelSelfCheck.Run();
        Assert.True(r.Passed, "CPU kernels give wrong results: " + string.Join("; ", r.Cases.Where(c => !c.Passed).Select(c => $"{c.Name} off by {c.MaxError:G3}")));
        Assert.Equal(KernelSelfCheck.ConvCases.Count * 4 + 4, r.Cases.Count);
    }

    [Theory]
    [InlineData(2, 2, 3, 3, 4, 5, 6)]
    [InlineData(1, 3, 1, 1, 3, 3, 3)]
    [InlineData(2, 4, 5, 3, 2, 3, 4)] // a volume thinner than the kernel along z
    public void Reference_matches_float64_pytorch(int n, int cin, int cout, int k, int d, int h, int w)
    {
        using var dir = new TempDir();
        var s = new DirectConv3d.Shape(n, cin, cout, k, d, h, w);
        var rnd = new Random(7);
        float[] R(int len) => [.. Enumerable.Range(0, len).Select(_ => (float)(rnd.NextDouble() * 2 - 1))];
        var (x, wt, b, g) = (R(s.InputLength), R(s.WeightLength), R(cout), R(s.OutputLength));
        NpyFile.Write(dir.File("x.npy"), NdArray.Create(x, n, cin, d, h, w));
        NpyFile.Write(dir.File("w.npy"), NdArray.Create(wt, cout, cin, k, k, k));
        NpyFile.Write(dir.File("b.npy"), NdArray.Create(b, cout));
        NpyFile.Write(dir.File("g.npy"), NdArray.Create(g, n, cout, d, h, w));
        PythonOracle.Run("""
            import sys, numpy as np, torch
            d = sys.argv[1]
            t = lambda n: torch.from_numpy(np.load(f'{d}/{n}.npy').astype(np.float64)).requires_grad_(True)
            x, w, b, g = t('x'), t('w'), t('b'), t('g')
            y = torch.nn.functional.conv3d(x, w, b, padding=w.shape[-1] // 2)
            y.backward(g)
            for name, v in (('y', y), ('gx', x.grad), ('gw', w.grad), ('gb', b.grad)):
                np.save(f'{d}/{name}_ref.npy', v.detach().numpy())
            """, dir.Path);
        double[] Py(string name) => NpyFile.Read(dir.File(name + "_ref.npy")).Get<double>();
        AssertClose(Py("y"), DirectConv3d.Forward(s, x, wt, b).Value);
        AssertClose(Py("gx"), DirectConv3d.InputGradient(s, g, wt).Value);
        var (gw, _, gb, _) = DirectConv3d.WeightGradient(s, g, x);
        AssertClose(Py("gw"), gw);
        AssertClose(Py("gb"), gb);
    }

    [Fact]
    public void Error_measure_passes_rounding_and_fails_real_mistakes()
    {
        var s = new DirectConv3d.Shape(2, 16, 16, 3, 5, 6, 7);
        var rnd = new Random(3);
        float[] R(int len) => [.. Enumerable.Range(0, len).Select(_ => (float)(rnd.NextDouble() * 2 - 1))];
        var (x, w, b) = (R(s.InputLength), R(s.WeightLength), R(s.Cout));
        var (reference, bound) = DirectConv3d.Forward(s, x, w, b);
        var rounded = reference.Select(v => (float)v).ToArray();
        Assert.True(KernelSelfCheck.Compare("rounded", rounded, reference, bound).Passed);

        // A float32 result from libtorch itself passes.
        using (NewDisposeScope())
        {
            var y = nn.functional.conv3d(tensor(x, [2, 16, 5, 6, 7]), tensor(w, [16, 16, 3, 3, 3]), tensor(b, [16]), padding: [1, 1, 1]);
            Assert.True(KernelSelfCheck.Compare("libtorch", y.data<float>().ToArray(), reference, bound).Passed);
        }

        // One tap of one weight lost from one output voxel: the kind of error a wrong kernel makes.
        var missingTap = (float[])rounded.Clone();
        missingTap[123] -= w[5] * x[200];
        Assert.False(KernelSelfCheck.Compare("missing tap", missingTap, reference, bound).Passed);

        // bfloat16-sized relative error everywhere (8 mantissa bits) fails too.
        var bf16 = rounded.Select(v => v * (1 + 1f / 256)).ToArray();
        Assert.False(KernelSelfCheck.Compare("bf16", bf16, reference, bound).Passed);

        var nan = (float[])rounded.Clone();
        nan[7] = float.NaN;
        var r = KernelSelfCheck.Compare("nan", nan, reference, bound);
        Assert.False(r.Passed);
        Assert.Equal(double.PositiveInfinity, r.MaxError);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])),
                string.Create(CultureInfo.InvariantCulture, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}"));
    }
}
