using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ffn.Model.Runtime;

/// <summary>
/// What one probe process found for one <see cref="KernelConfig"/>: the self-check's cases, the ISA oneDNN
/// reported, the convolution implementations it ran, or why the probe itself failed.
/// </summary>
public sealed record KernelProbeReport
{
    /// <summary>The probe prints its report on one stdout line that starts with this.</summary>
    public const string LinePrefix = "ffn-kernel-probe: ";

    public required string Config { get; init; }
    public bool Passed { get; init; }
    public string? Error { get; init; }
    public string? OneDnnIsa { get; init; }
    public List<string> Implementations { get; init; } = [];
    public List<KernelCaseResult> Cases { get; init; } = [];
    public double CheckSeconds { get; init; }
    public double WallSeconds { get; init; }

    public IEnumerable<KernelCaseResult> CasesFor(KernelPurpose purpose) => Cases.Where(c => purpose.Needs(c));

    /// <summary>Whether every case <paramref name="purpose"/> needs was checked and passed.</summary>
    public bool PassesFor(KernelPurpose purpose) => Error is null && CasesFor(purpose).Any() && CasesFor(purpose).All(c => c.Passed);

    public KernelCaseResult? Worst(KernelPurpose purpose) => CasesFor(purpose).MaxBy(c => double.IsFinite(c.MaxError) ? c.MaxError : double.MaxValue);

    /// <summary>One line for people: what failed among the cases <paramref name="purpose"/> needs, and by how much.</summary>
    public string Summary(KernelPurpose purpose) => Error is not null ? $"{Config}: probe failed ({Error})"
        : PassesFor(purpose) ? $"{Config}: pass (worst {Worst(purpose)?.MaxError:G2} of {KernelSelfCheck.Tolerance:G2} allowed)"
        : $"{Config}: FAIL ({string.Join("; ", CasesFor(purpose).Where(c => !c.Passed).Take(2).Select(c => $"{c.Name} off by {c.MaxError:G2}"))})";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static KernelProbeReport From(KernelConfig config, KernelCheckResult check) => new()
    {
        Config = config.Name, Passed = check.Passed, Cases = [.. check.Cases], CheckSeconds = check.Seconds,
    };

    public string ToLine() => LinePrefix + JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Reads a probe's whole stdout: oneDNN's verbose lines (ONEDNN_VERBOSE=1), then the report line. Returns null
    /// when there is no report line.
    /// </summary>
    public static KernelProbeReport? Parse(string stdout)
    {
        KernelProbeReport? report = null;
        string? isa = null;
        var impls = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(LinePrefix, StringComparison.Ordinal))
                report = JsonSerializer.Deserialize<KernelProbeReport>(line[LinePrefix.Length..], Json);
            else if (line.StartsWith("onednn_verbose,", StringComparison.Ordinal))
            {
                // v1,info,cpu,isa:<description>  and  v1,primitive,exec,cpu,convolution,<implementation>,...
                var f = line.Split(',');
                int isaField = Array.FindIndex(f, x => x.StartsWith("isa:", StringComparison.Ordinal));
                if (isaField >= 0 && Array.IndexOf(f, "info") >= 0) isa = f[isaField]["isa:".Length..];
                int conv = Array.IndexOf(f, "convolution");
                if (conv >= 0 && Array.IndexOf(f, "exec") >= 0 && conv + 1 < f.Length) impls.Add(f[conv + 1]);
            }
        }
        return report is null ? null : report with { OneDnnIsa = isa ?? report.OneDnnIsa, Implementations = [.. impls] };
    }
}
