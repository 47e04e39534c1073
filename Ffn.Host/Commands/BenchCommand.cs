using System.CommandLine;

namespace Ffn.Host.Commands;

/// <summary>`ffn bench ...`: measurements reported in issue notes; each subcommand prints medians.</summary>
public static class BenchCommand
{
    public static Command Create(Cli.CommandContext ctx)
    {
        var cmd = new Command("bench", "Benchmarks (median timings, compared with the Python reference where available)");
        cmd.Subcommands.Add(BenchForwardCommand.Create(ctx));
        return cmd;
    }
}
