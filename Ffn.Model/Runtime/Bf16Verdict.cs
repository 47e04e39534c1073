using System.Text.Json;

namespace Ffn.Model.Runtime;

/// <summary>
/// What <see cref="Bf16SelfCheck"/> found on one CPU, libtorch build and kernel configuration: whether bfloat16
/// convolutions compute correctly and how their time compares with float32's. Cached beside the kernel verdicts.
/// </summary>
public sealed record Bf16Verdict
{
    public int CheckVersion { get; init; } = Bf16SelfCheck.Version;
    public string CpuModel { get; init; } = "";
    public string CpuFingerprint { get; init; } = "";
    public string LibTorchVersion { get; init; } = "";
    public string LibTorchBuildId { get; init; } = "";

    /// <summary>The CPU kernel configuration (<see cref="KernelVerdict.Chosen"/>) the check ran under.</summary>
    public string KernelConfig { get; init; } = "";

    /// <summary>libtorch intra-op threads during the timing.</summary>
    public int Threads { get; init; }

    public bool Passed { get; init; }
    public double Fp32Ms { get; init; }
    public double Bf16Ms { get; init; }
    public List<KernelCaseResult> Cases { get; init; } = [];
    public DateTimeOffset CheckedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Where this verdict came from in this process: checked, cache.</summary>
    public string Source { get; init; } = "checked";

    public double Speedup => Bf16Ms > 0 ? Fp32Ms / Bf16Ms : 0;

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions(KernelProbeReport.Json) { WriteIndented = true });

    public static Bf16Verdict? FromJson(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<Bf16Verdict>(text, KernelProbeReport.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
