using System.CommandLine;
using Ffn.Host.Commands;
using Ffn.Host.Config;
using Ffn.Model;

namespace Ffn.Host.Cli;

/// <summary>
/// The `ffn` command line. Exit codes: 0 success, 2 bad usage or bad input (one line, no stack trace unless
/// --verbose), 1 a runtime failure, 130 cancelled.
/// </summary>
public static class FfnCli
{
    public const int Ok = 0, RuntimeError = 1, UsageError = 2, Cancelled = 130;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        bool verbose = args.Contains("--verbose");
        using var folders = OutputDirectory.Track();
        int code = RunTracked(args, stdout, stderr, verbose);
        if (code != Ok) folders.RemoveEmpty();
        return code;
    }

    private static int RunTracked(string[] args, TextWriter stdout, TextWriter stderr, bool verbose)
    {
        try
        {
            var ctx = new CommandContext(stdout, stderr, FfnConfig.Load(ConfigFileArg(args)));
            var root = Build(ctx);
            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                var cmd = parsed.CommandResult.Command;
                var name = cmd == root ? "ffn" : $"ffn {cmd.Name}";
                foreach (var e in parsed.Errors) stderr.WriteLine($"{name}: {e.Message}");
                stderr.WriteLine($"Run '{name} --help' for usage.");
                return UsageError;
            }
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e)
        {
            return Report(e, stderr, verbose);
        }
    }

    private static int Report(Exception e, TextWriter stderr, bool verbose)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerException!;
        int code;
        string msg;
        switch (e)
        {
            case UsageException or InputException:
                code = UsageError;
                msg = e.Message;
                break;
            case Ffn.Model.Runtime.KernelCheckException:
                code = RuntimeError;
                msg = e.Message;
                break;
            case OperationCanceledException:
                code = Cancelled;
                msg = "cancelled";
                break;
            case IOException or UnauthorizedAccessException:
                code = RuntimeError;
                msg = e.Message;
                break;
            default:
                code = RuntimeError;
                msg = $"{e.GetType().Name}: {e.Message}";
                break;
        }
        stderr.WriteLine($"ffn: error: {msg.Split('\n')[0].TrimEnd()}");
        if (verbose) stderr.WriteLine(e.ToString());
        else if (code == RuntimeError) stderr.WriteLine("(run with --verbose for details)");
        return code;
    }

    private static string? ConfigFileArg(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
                return i + 1 < args.Length ? args[i + 1] : throw new UsageException("--config: a file path is required");
            if (args[i].StartsWith("--config=", StringComparison.Ordinal)) return args[i]["--config=".Length..];
        }
        return null;
    }

    public static RootCommand Build(CommandContext ctx)
    {
        var root = new RootCommand(
            "FfnActors: flood-filling networks for 3D EM segmentation - data preparation, training and " +
            "block-wise inference as a fault-tolerant actor pipeline.");
        root.Options.Add(new Option<bool>("--verbose") { Description = "Print stack traces and details on errors", Recursive = true });
        root.Options.Add(new Option<string>("--config") { Description = "HOCON file overriding hocon/ffn.conf defaults", Recursive = true });
        root.Subcommands.Add(SynthCommand.Create(ctx));
        root.Subcommands.Add(StatsCommand.Create(ctx));
        root.Subcommands.Add(ModelCommand.Create(ctx));
        root.Subcommands.Add(PartitionCommand.Create(ctx));
        root.Subcommands.Add(BuildCoordinatesCommand.Create(ctx));
        root.Subcommands.Add(TrainCommand.Create(ctx));
        root.Subcommands.Add(InferCommand.Create(ctx));
        root.Subcommands.Add(ExtractCommand.Create(ctx));
        root.Subcommands.Add(RunCommand.Create(ctx));
        root.Subcommands.Add(NodeCommand.Create(ctx));
        root.Subcommands.Add(EvalCommand.Create(ctx));
        root.Subcommands.Add(StitchCommand.Create(ctx));
        root.Subcommands.Add(ReportCommand.Create(ctx));
        root.Subcommands.Add(DemoCommand.Create(ctx));
        root.Subcommands.Add(BenchCommand.Create(ctx));
        root.Subcommands.Add(DoctorCommand.Create(ctx));
        root.Subcommands.Add(KernelProbeCommand.Create(ctx));
        return root;
    }
}
