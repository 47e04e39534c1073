using System.Diagnostics;
using Ffn.Host.Commands;
using Ffn.Model.Runtime;

namespace Ffn.Host.Cli;

/// <summary>Runs the kernel self-check for one configuration in a fresh `ffn kernel-probe` process.</summary>
public static class KernelProbeProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static KernelProbeReport Run(KernelConfig config)
    {
        var psi = ChildProcess.Ffn([KernelProbeCommand.Name, "--cpu-kernels", config.Name]);
        // The probe sets these itself for the configuration under test; inherited values would override it.
        foreach (var v in new[] { KernelGuard.OneDnnIsaVariable, KernelGuard.AtenCapabilityVariable, "ONEDNN_VERBOSE", "DNNL_VERBOSE", "DNNL_MAX_CPU_ISA" })
            psi.Environment.Remove(v);
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = ChildProcess.Run(psi, Timeout);
        double wall = clock.Elapsed.TotalSeconds;
        var report = code == 0 ? KernelProbeReport.Parse(stdout) : null;
        if (report is not null) return report with { WallSeconds = wall };
        var why = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
        return new KernelProbeReport { Config = config.Name, Passed = false, Error = $"exit code {code}: {why}", WallSeconds = wall };
    }
}
