using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model.Runtime;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn kernel-probe` (hidden; started by the kernel self-check): applies one CPU kernel configuration exactly as
/// a command would, with oneDNN's verbose log on, runs <see cref="KernelSelfCheck"/> and prints its report.
/// </summary>
public static class KernelProbeCommand
{
    public const string Name = "kernel-probe";

    public static Command Create(CommandContext ctx)
    {
        var config = new Option<string>("--cpu-kernels") { Description = "Configuration to check", Required = true };
        var cmd = new Command(Name, "Check one CPU kernel configuration (started by the kernel self-check)") { config };
        cmd.Hidden = true;
        cmd.SetAction(r =>
        {
            KernelConfig c;
            try
            {
                c = KernelConfig.Parse(r.GetValue(config)!);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--cpu-kernels: {e.Message}");
            }
            // Both are read once, at oneDNN's first use: set before any kernel runs.
            NativeEnvironment.Set("ONEDNN_VERBOSE", "1");
            KernelGuard.Apply(c);
            var check = KernelSelfCheck.Run();
            NativeEnvironment.FlushNativeStdout();
            ctx.Out.WriteLine(KernelProbeReport.From(c, check).ToLine());
            ctx.Out.Flush();
            return FfnCli.Ok;
        });
        return cmd;
    }
}
