using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Network;

/// <summary>
/// TorchSharp's native library loads on this OS (the build marks its GLIBCXX_3.4.32 need weak) and a real Conv3d
/// forward agrees with a convolution written out by hand.
/// </summary>
public class TorchSharpLoadTests
{
    [Fact]
    public void Conv3dMatchesHandWrittenConvolution()
    {
        const int cin = 2, cout = 3, d = 5, h = 6, w = 7;
        var rnd = new Random(11);
        var input = new float[cin * d * h * w];
        var weight = new float[cout * cin * 27];
        var bias = new float[cout];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rnd.NextDouble() * 2 - 1);
        for (int i = 0; i < weight.Length; i++) weight[i] = (float)(rnd.NextDouble() * 2 - 1);
        for (int i = 0; i < bias.Length; i++) bias[i] = (float)(rnd.NextDouble() - 0.5);

        using var conv = nn.Conv3d(cin, cout, 3, padding: 1);
        using (no_grad())
        {
            conv.weight!.copy_(tensor(weight, [cout, cin, 3, 3, 3]));
            conv.bias!.copy_(tensor(bias, [cout]));
        }
        using var x = tensor(input, [1, cin, d, h, w]);
        using var y = conv.forward(x);
        Assert.Equal(new long[] { 1, cout, d, h, w }, y.shape);
        var got = y.data<float>().ToArray();

        double maxErr = 0;
        for (int o = 0; o < cout; o++)
        for (int z = 0; z < d; z++)
        for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++)
        {
            double acc = bias[o];
            for (int c = 0; c < cin; c++)
            for (int kz = 0; kz < 3; kz++)
            for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
            {
                int iz = z + kz - 1, iy = yy + ky - 1, ix = xx + kx - 1;
                if (iz < 0 || iy < 0 || ix < 0 || iz >= d || iy >= h || ix >= w) continue; // zero 'same' padding
                acc += weight[(((o * cin + c) * 3 + kz) * 3 + ky) * 3 + kx] * input[((c * d + iz) * h + iy) * w + ix];
            }
            maxErr = Math.Max(maxErr, Math.Abs(acc - got[((o * d + z) * h + yy) * w + xx]));
        }
        Assert.True(maxErr < 1e-4, $"max abs error {maxErr}");
    }

    [Fact]
    public void OutputCopyOfLibTorchSharpHasWeakGlibcxxNeedWhereTheSystemLacksIt()
    {
        var so = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.NotEmpty(so);
        var sys = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        bool systemHasIt = File.Exists(sys) && File.ReadAllText(sys, System.Text.Encoding.Latin1).Contains("GLIBCXX_3.4.32\0");
        foreach (var f in so)
        {
            var flags = ElfVersionNeeds.FlagsOf(f, "GLIBCXX_3.4.32");
            Assert.NotNull(flags);
            if (!systemHasIt) Assert.True((flags!.Value & 2) != 0, $"{f}: GLIBCXX_3.4.32 need is not weak");
        }
    }
}
