using System.Diagnostics;
using Ffn.Model.DataPrep;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Runtime;

/// <summary>The outcome of <see cref="Bf16SelfCheck.Run"/>: bfloat16 forward cases, and one convolution timed in both formats.</summary>
public sealed record Bf16CheckResult(IReadOnlyList<KernelCaseResult> Cases, double Fp32Ms, double Bf16Ms, double Seconds)
{
    public bool Passed => Cases.Count > 0 && Cases.All(c => c.Passed);

    /// <summary>fp32 time / bf16 time of the timed convolution (above 1: bf16 is faster).</summary>
    public double Speedup => Fp32Ms / Bf16Ms;
}

/// <summary>
/// A known-answer test of the bfloat16 convolutions inference runs (the forward cases of convstack_3d's shapes),
/// through libtorch as the process is configured, against <see cref="DirectConv3d"/> in double on the same inputs.
/// Inputs, weights and biases are rounded to bfloat16 first, so the only error a correct kernel makes is its float32
/// accumulation and the final rounding of each output to bfloat16 (bf16 keeps 8 significant bits: at most 2^-8 of
/// the value); a case fails when any output is further off than twice that plus 2^-14 of the sum of |terms|. A wrong
/// or lost tap among the 864 terms of a 32-channel 3x3x3 convolution is off by one term, about 1/30 of a typical
/// output, several times what is allowed. Then one 32 -> 32 convolution is timed in float32 and in
/// bfloat16: a CPU without bf16 instructions computes bf16 correctly but tens of times slower.
/// </summary>
public static class Bf16SelfCheck
{
    /// <summary>Bumped when the cases or the timing change, so cached verdicts are redone.</summary>
    public const int Version = 1;

    public static IReadOnlyList<DirectConv3d.Shape> ConvCases { get; } =
    [
        new(4, 2, 32, 3, 7, 9, 11), new(4, 32, 32, 3, 7, 9, 11), new(4, 32, 1, 1, 7, 9, 11), new(1, 16, 16, 3, 9, 9, 9),
        new(4, 8, 8, 3, 7, 9, 11), new(2, 4, 4, 3, 5, 5, 5),
    ];

    /// <summary>The timed convolution: one of the network's 32 -> 32 layers on a 25^3 FoV.</summary>
    public static readonly DirectConv3d.Shape TimedShape = new(1, 32, 32, 3, 25, 25, 25);

    /// <summary>Timed repetitions per format (median taken), after one warm-up each.</summary>
    public const int TimedRepeats = 5;

    /// <summary>Stop timing bf16 once it is this many times slower than float32: it is then plainly not fast.</summary>
    public const double GiveUpSlowdown = 20;

    public static Bf16CheckResult Run()
    {
        LibTorch.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        var rng = new Xoshiro256(20261203);
        var cases = new List<KernelCaseResult>();
        using (no_grad())
        {
            foreach (var s in ConvCases) cases.Add(CheckConv(s, ref rng));
            var (fp32, bf16) = TimeConv(ref rng);
            return new Bf16CheckResult(cases, fp32, bf16, clock.Elapsed.TotalSeconds);
        }
    }

    private static KernelCaseResult CheckConv(DirectConv3d.Shape s, ref Xoshiro256 rng)
    {
        var x = RoundedUniform(ref rng, s.InputLength, 1.0);
        var w = RoundedUniform(ref rng, s.WeightLength, 1.0 / Math.Sqrt(s.Cin * s.Taps));
        var b = RoundedUniform(ref rng, s.Cout, 0.5);
        var (reference, terms) = DirectConv3d.Forward(s, x, w, b);
        float[] y;
        using (NewDisposeScope())
        {
            var xt = tensor(x, [s.N, s.Cin, s.D, s.H, s.W]).to(ScalarType.BFloat16);
            var wt = tensor(w, [s.Cout, s.Cin, s.K, s.K, s.K]).to(ScalarType.BFloat16);
            var bt = tensor(b, [s.Cout]).to(ScalarType.BFloat16);
            var yt = nn.functional.conv3d(xt, wt, bt, padding: [s.Pad, s.Pad, s.Pad]);
            y = yt.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        }
        return Compare($"bf16 conv3d {s} forward", y, reference, terms);
    }

    /// <summary>Worst |actual - reference| / allowed, where allowed = 2^-7 |reference| + 2^-14 sum|terms|; passes at or below 1.</summary>
    public static KernelCaseResult Compare(string name, float[] actual, double[] reference, double[] terms)
    {
        if (actual.Length != reference.Length) return new KernelCaseResult(name + $" (length {actual.Length}, expected {reference.Length})", double.PositiveInfinity, false);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (!float.IsFinite(actual[i])) return new KernelCaseResult(name, double.PositiveInfinity, false);
            double allowed = Math.ScaleB(Math.Abs(reference[i]), -7) + Math.ScaleB(terms[i], -14) + 1e-30;
            worst = Math.Max(worst, Math.Abs(actual[i] - reference[i]) / allowed);
        }
        return new KernelCaseResult(name, worst, worst <= 1);
    }

    private static (double Fp32Ms, double Bf16Ms) TimeConv(ref Xoshiro256 rng)
    {
        var s = TimedShape;
        using var scope = NewDisposeScope();
        var x = tensor(RoundedUniform(ref rng, s.InputLength, 1.0), [s.N, s.Cin, s.D, s.H, s.W]);
        var w = tensor(RoundedUniform(ref rng, s.WeightLength, 0.05), [s.Cout, s.Cin, s.K, s.K, s.K]);
        var b = zeros(s.Cout);
        double fp32 = Median(x, w, b, double.PositiveInfinity);
        double bf16 = Median(x.to(ScalarType.BFloat16), w.to(ScalarType.BFloat16), b.to(ScalarType.BFloat16), fp32 * GiveUpSlowdown);
        return (fp32, bf16);
    }

    /// <summary>Median ms of <see cref="TimedRepeats"/> convolutions; the first one's time alone once one exceeds <paramref name="giveUpMs"/>.</summary>
    private static double Median(Tensor x, Tensor w, Tensor b, double giveUpMs)
    {
        var times = new List<double>();
        for (int i = 0; i <= TimedRepeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                var y = nn.functional.conv3d(x, w, b, padding: [1, 1, 1]);
                _ = y.sum().to(ScalarType.Float32).item<float>();
            }
            double ms = sw.Elapsed.TotalMilliseconds;
            if (ms > giveUpMs) return ms;
            if (i > 0) times.Add(ms); // the first call picks and builds the kernel
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static float[] RoundedUniform(ref Xoshiro256 rng, int n, double scale)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = Bfloat16.Round((float)((rng.NextDouble() * 2 - 1) * scale));
        return a;
    }
}
