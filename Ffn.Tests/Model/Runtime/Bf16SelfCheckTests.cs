using Ffn.Model;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Runtime;

/// <summary>
/// bfloat16 rounding against libtorch's own conversion, the bf16 self-check's error measure against a correctly
/// rounded result and against one with a lost tap, the check itself on CPUs with bf16 instructions, and how
/// --precision resolves.
/// </summary>
public class Bf16SelfCheckTests(ITestOutputHelper output)
{
    [Fact]
    public void Rounding_keeps_eight_significant_bits_ties_to_even()
    {
        Assert.Equal(1f, Bfloat16.Round(1f));
        Assert.Equal(1f, Bfloat16.Round(1f + MathF.ScaleB(1, -8))); // halfway between 1 and 1 + 2^-7: the even one
        Assert.Equal(1f + MathF.ScaleB(1, -6), Bfloat16.Round(1f + 3 * MathF.ScaleB(1, -8))); // halfway, rounds up to even
        Assert.Equal(1f + MathF.ScaleB(1, -7), Bfloat16.Round(1f + MathF.ScaleB(1, -8) + MathF.ScaleB(1, -20)));
        Assert.True(float.IsNaN(Bfloat16.Round(float.NaN)));

        var rnd = new Random(3);
        var x = Enumerable.Range(0, 4096).Select(_ => (float)((rnd.NextDouble() * 2 - 1) * Math.Pow(10, rnd.Next(-6, 6)))).ToArray();
        using var t = tensor(x).to(ScalarType.BFloat16).to(ScalarType.Float32);
        Assert.Equal(t.data<float>().ToArray(), x.Select(Bfloat16.Round).ToArray());
    }

    [Fact]
    public void Compare_accepts_rounded_outputs_and_rejects_a_lost_tap()
    {
        var s = new DirectConv3d.Shape(2, 32, 32, 3, 5, 6, 7);
        var rnd = new Random(11);
        float[] R(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => Bfloat16.Round((float)((rnd.NextDouble() * 2 - 1) * scale)))];
        var (x, w, b) = (R(s.InputLength, 1), R(s.WeightLength, 1 / Math.Sqrt(32 * 27)), R(s.Cout, 0.5));
        var (reference, terms) = DirectConv3d.Forward(s, x, w, b);

        var rounded = reference.Select(v => Bfloat16.Round((float)v)).ToArray();
        var good = Bf16SelfCheck.Compare("rounded", rounded, reference, terms);
        Assert.True(good.Passed, $"a correctly rounded result fails: {good.MaxError}");
        Assert.InRange(good.MaxError, 0, 0.5); // rounding costs at most 2^-8 of the value: half of what is allowed

        var lost = (float[])w.Clone();
        lost[5 * 32 * 27 + 7 * 27 + 13] = 0; // output channel 5, input channel 7, centre tap
        var (wrong, _) = DirectConv3d.Forward(s, x, lost, b);
        var bad = Bf16SelfCheck.Compare("lost tap", [.. wrong.Select(v => Bfloat16.Round((float)v))], reference, terms);
        Assert.False(bad.Passed, $"a lost tap passes: {bad.MaxError}");

        var nan = (float[])rounded.Clone();
        nan[17] = float.NaN;
        Assert.False(Bf16SelfCheck.Compare("nan", nan, reference, terms).Passed);
    }

    [Trait("Category", "Numerics")]
    [Fact]
    public void The_bf16_check_gives_a_complete_verdict_under_the_kernels_in_use_and_auto_obeys_it()
    {
        // Whether this CPU's bf16 kernels are right is not ours to promise: on this project's Zen 5 they were right in
        // some runs and 1.5E+03 times the allowed error in others (small channel counts), as the fp32 backward-data
        // fault was. What is ours: the check covers every case and times both precisions, and auto takes bf16 only
        // when every case passed.
        var r = Bf16SelfCheck.Run();
        output.WriteLine($"bf16 conv {r.Bf16Ms:F1} ms, fp32 {r.Fp32Ms:F1} ms; {r.Seconds:F1} s; " +
                         (r.Passed ? "passed" : "FAILED: " + string.Join("; ", r.Cases.Where(c => !c.Passed).Select(c => $"{c.Name} at {c.MaxError:G3} of the allowed error"))));
        Assert.Equal(Bf16SelfCheck.ConvCases.Count, r.Cases.Count);
        Assert.All(r.Cases, c => Assert.Equal(c.MaxError <= 1, c.Passed));
        Assert.Equal(r.Cases.All(c => c.Passed), r.Passed);
        Assert.True(r.Fp32Ms > 0 && r.Bf16Ms > 0);
        var choice = PrecisionGuard.Auto(new Bf16Verdict { Passed = r.Passed, Fp32Ms = r.Fp32Ms, Bf16Ms = r.Bf16Ms, KernelConfig = "in use" }, 1.3);
        if (!r.Passed) Assert.Equal(Precision.Fp32, choice.Precision);
        else Assert.Equal(r.Fp32Ms / r.Bf16Ms >= 1.3 ? Precision.Bf16 : Precision.Fp32, choice.Precision);
    }

    [Fact]
    public void Auto_picks_bf16_only_where_it_passes_and_is_fast_enough()
    {
        Bf16Verdict V(bool passed, double fp32, double bf16) => new() { Passed = passed, Fp32Ms = fp32, Bf16Ms = bf16, KernelConfig = "default" };
        Assert.Equal(Precision.Bf16, PrecisionGuard.Auto(V(true, 10, 4), 1.3).Precision);
        Assert.Equal(Precision.Fp32, PrecisionGuard.Auto(V(true, 10, 9), 1.3).Precision); // correct but barely faster
        Assert.Equal(Precision.Fp32, PrecisionGuard.Auto(V(true, 10, 300), 1.3).Precision); // no bf16 instructions
        Assert.Equal(Precision.Fp32, PrecisionGuard.Auto(V(false, 10, 4), 1.3).Precision); // fast but wrong
        Assert.Contains("FAILS", PrecisionGuard.Auto(V(false, 10, 4), 1.3).Reason);
    }

    [Fact]
    public void Precision_requests_resolve_without_a_check_where_none_is_needed()
    {
        var log = new List<string>();
        Assert.Equal(Precision.Fp32, PrecisionGuard.Resolve("fp32", 1.3, SelfCheckMode.Auto, null, log.Add).Precision);
        Assert.Equal(Precision.Fp32, PrecisionGuard.Resolve("auto", 1.3, SelfCheckMode.Never, null, log.Add).Precision);
        Assert.Equal(Precision.Bf16, PrecisionGuard.Resolve("BF16", 1.3, SelfCheckMode.Never, null, log.Add).Precision);
        Assert.Empty(log);
        Assert.Contains("--precision fp16", Assert.Throws<InputException>(() => PrecisionGuard.Resolve("fp16", 1.3, SelfCheckMode.Never, null, log.Add)).Message);
        Assert.Contains("--bf16-min-speedup", Assert.Throws<InputException>(() => PrecisionGuard.Resolve("auto", 0, SelfCheckMode.Never, null, log.Add)).Message);
    }
}
