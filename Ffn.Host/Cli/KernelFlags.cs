using System.CommandLine;
using Ffn.Model.Runtime;

namespace Ffn.Host.Cli;

/// <summary>
/// --self-check, --cpu-kernels and --kernel-cache, shared by every command that runs a network (HOCON ffn.torch.*;
/// the environment variable FFN_SELF_CHECK sits between the two). <see cref="Prepare"/> must run before the
/// command's first libtorch kernel, with the purpose the command runs its network for.
/// </summary>
public sealed class KernelFlags
{
    public const string SelfCheckVariable = "FFN_SELF_CHECK";
    private const string S = "torch";
    private readonly CommandContext _ctx;

    /// <summary>Reports by configuration: they carry every case, so a command that checks both purposes probes each once.</summary>
    private readonly Dictionary<string, KernelProbeReport> _probed = [];

    public Option<string> SelfCheck { get; }
    public Option<string> CpuKernels { get; }
    public Option<string> KernelCache { get; }

    public KernelFlags(CommandContext ctx)
    {
        _ctx = ctx;
        SelfCheck = Flags.Make<string>(ctx, S, "--self-check",
            $"Check libtorch's CPU kernels against a reference before running a network: auto (once per CPU and libtorch, cached), always, never (env {SelfCheckVariable})");
        CpuKernels = Flags.Make<string>(ctx, S, "--cpu-kernels",
            "auto (the self-check's choice), default (libtorch's), off (no oneDNN), or a oneDNN ISA cap such as AVX2");
        KernelCache = Flags.Make<string>(ctx, S, "--kernel-cache", "Directory for self-check verdicts (\"\" = $XDG_CACHE_HOME/ffn or ~/.cache/ffn)");
    }

    public IEnumerable<Option> All => [SelfCheck, CpuKernels, KernelCache];

    public KernelGuardOptions Options(ParseResult r, KernelPurpose purpose)
    {
        LibTorchSource.RequireAvailable();
        var given = r.GetResult(SelfCheck) is { Implicit: false };
        var env = Environment.GetEnvironmentVariable(SelfCheckVariable);
        var (mode, what) = given || string.IsNullOrEmpty(env) ? (r.GetValue(SelfCheck)!, $"--self-check {r.GetValue(SelfCheck)}") : (env, $"{SelfCheckVariable}={env}");
        return new KernelGuardOptions
        {
            Mode = SelfCheckModes.Parse(mode, what),
            Requested = r.GetValue(CpuKernels) is { Length: > 0 } k ? k : "auto",
            CacheDirectory = r.GetValue(KernelCache),
            Purpose = purpose,
        };
    }

    /// <summary>Chooses and applies the CPU kernels (self-check, cache) for this process.</summary>
    public KernelVerdict Prepare(ParseResult r, KernelPurpose purpose) => KernelGuard.Prepare(Options(r, purpose), Probe, Log);

    /// <summary>The verdict for <paramref name="purpose"/> without applying it (`ffn doctor` shows both purposes').</summary>
    public KernelVerdict Check(ParseResult r, KernelPurpose purpose, out string? path) => KernelGuard.Check(Options(r, purpose), Probe, Log, out path);

    private KernelProbeReport Probe(KernelConfig config) =>
        _probed.TryGetValue(config.Name, out var report) ? report : _probed[config.Name] = KernelProbeProcess.Run(config);

    private void Log(string line) => _ctx.Progress.Report(line);
}
