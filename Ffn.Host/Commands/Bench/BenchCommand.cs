using System.CommandLine;
using Ffn.Host.Cli;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench SUBJECT`: times FfnActors against the reference implementation where one is available. A new
/// benchmark is one more factory in <see cref="Benchmarks"/>; flags default from HOCON ffn.bench.SUBJECT.*.
/// </summary>
public static class BenchCommand
{
    private static readonly Func<CommandContext, Command>[] Benchmarks =
    [
        BenchPartitionCommand.Create,
        BenchForwardCommand.Create,
        BenchMemoryCommand.Create,
        BenchInferCommand.Create,
        BenchPrecisionCommand.Create,
        BenchRunCommand.Create,
        BenchStitchCommand.Create,
        BenchOutputsCommand.Create,
        BenchTrainCommand.Create,
    ];

    public static Command Create(CommandContext ctx)
    {
        var cmd = new Command("bench", "Benchmarks against the reference implementations (google/ffn, FFN-PyTorch)");
        foreach (var make in Benchmarks) cmd.Subcommands.Add(make(ctx));
        return cmd;
    }
}
