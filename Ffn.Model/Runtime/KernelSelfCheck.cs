using System.Diagnostics;
using Ffn.Model.DataPrep;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Runtime;

/// <summary>One known-answer comparison: the largest error seen, relative to what float32 rounding allows.</summary>
public sealed record KernelCaseResult(string Name, double MaxError, bool Passed);

/// <summary>The outcome of <see cref="KernelSelfCheck.Run"/>.</summary>
public sealed record KernelCheckResult(IReadOnlyList<KernelCaseResult> Cases, double Seconds)
{
    public bool Passed => Cases.Count > 0 && Cases.All(c => c.Passed);
    public KernelCaseResult Worst => Cases.MaxBy(c => double.IsNaN(c.MaxError) ? double.PositiveInfinity : c.MaxError)!;
}

/// <summary>
/// A known-answer test of the kernels our networks run: 3D convolution forward and both backward passes (data and
/// weights, and the bias) at the channel counts and kernel sizes of convstack_3d (2 -> F and F -> F 3x3x3, F -> 1
/// 1x1x1, F = 4, 8, 16 and 32, batches of 1 to 4), ReLU forward and backward, and the sigmoid cross-entropy loss with
/// its gradient, each through libtorch as the process is configured, against <see cref="DirectConv3d"/> and plain
/// double arithmetic. An error is measured against the sum of the absolute values of the terms each output adds
/// up, so a correct float32 kernel stays far below <see cref="Tolerance"/> whatever its summation order, and a
/// wrong one (a bad tap, a lost block, a NaN) lands far above it.
/// </summary>
public static class KernelSelfCheck
{
    /// <summary>Bumped when the cases change, so cached verdicts of older checks are redone.</summary>
    public const int Version = 3;

    /// <summary>Allowed |ours - reference| / (sum of |terms|): about 170 float32 ulps of the worst case's scale.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Times each convolution runs (on freshly poisoned memory) against the one reference.</summary>
    public const int Repeats = 6;

    public static IReadOnlyList<DirectConv3d.Shape> ConvCases { get; } =
    [
        new(4, 2, 16, 3, 7, 9, 11), new(4, 16, 16, 3, 7, 9, 11), new(4, 16, 1, 1, 7, 9, 11), new(1, 16, 16, 3, 9, 9, 9),
        new(4, 2, 32, 3, 7, 9, 11), new(4, 32, 32, 3, 7, 9, 11), new(4, 32, 1, 1, 7, 9, 11), new(1, 32, 32, 3, 9, 9, 9),
        // Channel counts that are not a multiple of 16 take other oneDNN kernels: on a Zen 5 EPYC (family 26 model 2)
        // their backward-data pass at batch >= 2 came out wrong at every ISA from AVX2 up, while F = 16 and 32 passed.
        new(4, 2, 8, 3, 7, 9, 11), new(4, 8, 8, 3, 7, 9, 11), new(4, 8, 1, 1, 7, 9, 11), new(2, 4, 4, 3, 5, 5, 5),
    ];

    public static KernelCheckResult Run()
    {
        LibTorch.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        var results = new List<KernelCaseResult>();
        var rng = new Xoshiro256(20261202);
        foreach (var s in ConvCases) results.AddRange(CheckConv(s, ref rng));
        results.AddRange(CheckReluAndLoss(ref rng));
        return new KernelCheckResult(results, clock.Elapsed.TotalSeconds);
    }

    private static List<KernelCaseResult> CheckConv(DirectConv3d.Shape s, ref Xoshiro256 rng)
    {
        var x = Uniform(ref rng, s.InputLength, 1.0);
        var w = Uniform(ref rng, s.WeightLength, 1.0 / Math.Sqrt(s.Cin * s.Taps));
        var b = Uniform(ref rng, s.Cout, 0.5);
        var g = Uniform(ref rng, s.OutputLength, 1.0);

        var (ry, by) = DirectConv3d.Forward(s, x, w, b);
        var (rgx, bgx) = DirectConv3d.InputGradient(s, g, w);
        var (rgw, bgw, rgb, bgb) = DirectConv3d.WeightGradient(s, g, x);
        // A kernel that is wrong only some of the time (seen: about half the runs) is caught by running it again.
        List<KernelCaseResult> worst = [];
        for (int rep = 0; rep < Repeats; rep++)
        {
            float[] y, gx, gw, gb;
            PoisonFreedMemory(s);
            using (NewDisposeScope())
            {
                var xt = tensor(x, [s.N, s.Cin, s.D, s.H, s.W]).requires_grad_(true);
                var wt = tensor(w, [s.Cout, s.Cin, s.K, s.K, s.K]).requires_grad_(true);
                var bt = tensor(b, [s.Cout]).requires_grad_(true);
                var yt = nn.functional.conv3d(xt, wt, bt, padding: [s.Pad, s.Pad, s.Pad]);
                yt.backward([tensor(g, [s.N, s.Cout, s.D, s.H, s.W])]);
                y = yt.detach().data<float>().ToArray();
                gx = xt.grad!.data<float>().ToArray();
                gw = wt.grad!.data<float>().ToArray();
                gb = bt.grad!.data<float>().ToArray();
            }
            List<KernelCaseResult> results =
            [
                Compare($"conv3d {s} forward", y, ry, by),
                Compare($"conv3d {s} backward data", gx, rgx, bgx),
                Compare($"conv3d {s} backward weights", gw, rgw, bgw),
                Compare($"conv3d {s} backward bias", gb, rgb, bgb),
            ];
            worst = rep == 0 ? results : [.. worst.Zip(results, (a, c) => Worse(a, c) ? a : c)];
        }
        return worst;
    }

    private static bool Worse(KernelCaseResult a, KernelCaseResult b) =>
        !a.Passed && b.Passed || a.Passed == b.Passed && (double.IsNaN(a.MaxError) || a.MaxError >= b.MaxError);

    /// <summary>
    /// Fills blocks of the sizes the convolution will allocate with NaN and frees them, so a kernel that reads
    /// memory it never wrote picks up NaN rather than whatever zeros a fresh page holds (found on a Zen 5 EPYC:
    /// oneDNN's backward data for channel counts not a multiple of 16 was wrong only some of the time).
    /// </summary>
    private static void PoisonFreedMemory(DirectConv3d.Shape s)
    {
        using var scope = NewDisposeScope();
        foreach (long n in new long[] { s.InputLength, s.OutputLength, s.WeightLength, s.InputLength * 2, s.OutputLength * 2 })
            for (int i = 0; i < 2; i++)
                full([n], float.NaN);
    }

    private static List<KernelCaseResult> CheckReluAndLoss(ref Xoshiro256 rng)
    {
        const int n = 4 * 9 * 9 * 9;
        var z = Uniform(ref rng, n, 6.0);
        var labels = new float[n];
        for (int i = 0; i < n; i++) labels[i] = rng.NextDouble() < 0.5 ? 0.05f : 0.95f;
        var g = Uniform(ref rng, n, 1.0);

        float[] relu, reluGrad, lossGrad;
        float loss;
        using (NewDisposeScope())
        {
            var zt = tensor(z, [4, 1, 9, 9, 9]).requires_grad_(true);
            var r = nn.functional.relu(zt);
            r.backward([tensor(g, [4, 1, 9, 9, 9])]);
            relu = r.detach().data<float>().ToArray();
            reluGrad = zt.grad!.data<float>().ToArray();

            var zl = tensor(z, [4, 1, 9, 9, 9]).requires_grad_(true);
            var l = nn.functional.binary_cross_entropy_with_logits(zl, tensor(labels, [4, 1, 9, 9, 9]));
            l.backward();
            loss = l.item<float>();
            lossGrad = zl.grad!.data<float>().ToArray();
        }

        var rRelu = new double[n];
        var rReluGrad = new double[n];
        var rLossGrad = new double[n];
        var bLossGrad = new double[n];
        double rLoss = 0, bLoss = 0;
        for (int i = 0; i < n; i++)
        {
            double v = z[i], yv = labels[i];
            rRelu[i] = Math.Max(v, 0);
            rReluGrad[i] = v > 0 ? g[i] : 0;
            // log(1 + e^-|v|) + max(v, 0) - v y: the stable form of -y log s(v) - (1 - y) log(1 - s(v)).
            double term = Math.Max(v, 0) - v * yv + Math.Log(1 + Math.Exp(-Math.Abs(v)));
            rLoss += term / n;
            bLoss += Math.Abs(term) / n + Math.Abs(v * yv) / n;
            double sig = 1 / (1 + Math.Exp(-v));
            rLossGrad[i] = (sig - yv) / n;
            bLossGrad[i] = (sig + yv) / n;
        }
        return
        [
            Compare("relu forward", relu, rRelu, [.. rRelu.Select(Math.Abs)]),
            Compare("relu backward", reluGrad, rReluGrad, [.. rReluGrad.Select(Math.Abs)]),
            Compare("sigmoid cross-entropy loss", [loss], [rLoss], [bLoss]),
            Compare("sigmoid cross-entropy backward", lossGrad, rLossGrad, bLossGrad),
        ];
    }

    /// <summary>max |a - r| / (bound + tiny) over all elements; NaN or infinity anywhere fails.</summary>
    public static KernelCaseResult Compare(string name, float[] actual, double[] reference, double[] bound)
    {
        if (actual.Length != reference.Length) return new KernelCaseResult(name + $" (length {actual.Length}, expected {reference.Length})", double.PositiveInfinity, false);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (!float.IsFinite(actual[i])) return new KernelCaseResult(name, double.PositiveInfinity, false);
            double err = Math.Abs(actual[i] - reference[i]) / (bound[i] + 1e-30);
            if (err > worst) worst = err;
        }
        return new KernelCaseResult(name, worst, worst <= Tolerance);
    }

    private static float[] Uniform(ref Xoshiro256 rng, int n, double scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return a;
    }
}
