using System.Text.Json;

namespace Ffn.Model.Runtime;

/// <summary>
/// The kernel configuration chosen for one CPU, one libtorch and one purpose, with the probes that decided it.
/// Cached, so the self-check runs once per machine and libtorch, not at every start.
/// </summary>
public sealed record KernelVerdict
{
    public required string Chosen { get; init; }
    public required string Reason { get; init; }

    /// <summary>"auto", or the configuration the user asked for (by flag, HOCON or ONEDNN_MAX_CPU_ISA).</summary>
    public string Requested { get; init; } = "auto";

    /// <summary>The cases the choice had to pass: the forward ones (inference) or all (training).</summary>
    public KernelPurpose Purpose { get; init; } = KernelPurpose.Training;

    public int CheckVersion { get; init; } = KernelSelfCheck.Version;
    public string CpuModel { get; init; } = "";
    public string CpuFingerprint { get; init; } = "";
    public string LibTorchVersion { get; init; } = "";
    public string LibTorchBuildId { get; init; } = "";
    public DateTimeOffset CheckedAt { get; init; } = DateTimeOffset.UtcNow;
    public List<KernelProbeReport> Probes { get; init; } = [];

    /// <summary>Where this verdict came from in this process: checked, cache, not-checked.</summary>
    public string Source { get; init; } = "checked";

    public KernelConfig ChosenConfig => KernelConfig.Parse(Chosen);
    public KernelProbeReport? ChosenProbe => Probes.LastOrDefault(p => p.Config == Chosen);
    public bool DefaultFailed => Probes.Any(p => p.Config == KernelConfig.Default.Name && !p.PassesFor(Purpose));

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions(KernelProbeReport.Json) { WriteIndented = true });

    public static KernelVerdict? FromJson(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<KernelVerdict>(text, KernelProbeReport.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
