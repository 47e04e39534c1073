using System.CommandLine;
using System.CommandLine.Parsing;
using Ffn.Host.Commands;
using Ffn.Host.Commands.Bench;
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
            // An unknown option comes first: whatever else is wrong follows from reading it as an argument.
            var errors = UnknownOptions(parsed).Take(1).Select(o => $"unknown option {o}").ToList();
            if (errors.Count == 0) errors.AddRange(parsed.Errors.Select(e => e.Message));
            if (errors.Count > 0)
            {
                var name = CommandPath(parsed.CommandResult);
                foreach (var e in errors) stderr.WriteLine($"{name}: {e}");
                stderr.WriteLine($"Run '{name} --help' for usage.");
                return UsageError;
            }
            SelectLibTorch(parsed, root);
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

    /// <summary>
    /// Chooses this process's libtorch before any command touches TorchSharp: --libtorch, else $FFN_LIBTORCH, else
    /// HOCON ffn.torch.libtorch, else the bundled one. Child processes (the kernel probe) inherit the choice.
    /// </summary>
    private static void SelectLibTorch(ParseResult parsed, RootCommand root)
    {
        var option = (Option<string>)root.Options.First(o => o.Name == LibTorchFlag);
        var env = Environment.GetEnvironmentVariable(Ffn.Model.Runtime.LibTorchSource.Variable);
        var (dir, what) =
            parsed.GetResult(option) is { Implicit: false } ? (parsed.GetValue(option), $"{LibTorchFlag} {parsed.GetValue(option)}")
            : !string.IsNullOrWhiteSpace(env) ? (env, $"{Ffn.Model.Runtime.LibTorchSource.Variable}={env}")
            : (parsed.GetValue(option), $"config key ffn.torch.libtorch ({parsed.GetValue(option)})");
        Ffn.Model.Runtime.LibTorchSource.Select(dir, what);
        if (Ffn.Model.Runtime.LibTorchSource.Directory is { } d) Environment.SetEnvironmentVariable(Ffn.Model.Runtime.LibTorchSource.Variable, d.Path);
    }

    private const string LibTorchFlag = "--libtorch";

    private static int Report(Exception e, TextWriter stderr, bool verbose)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerException!;
        // A build without libtorch, run where none was named or found: the first network call fails to bind.
        if (Ffn.Model.Runtime.LibTorchSource.Missing is { } missing && Chain(e).Any(x => x is DllNotFoundException))
            e = new UsageException(missing);
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

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    /// <summary>`ffn model forward`: the command as typed (the root command's own name is the executable's).</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (var c = command; c.Parent is CommandResult parent; c = parent) names.Insert(0, c.Command.Name);
        return string.Join(' ', names.Prepend("ffn"));
    }

    /// <summary>
    /// Tokens such as --frobnicate that no option matched. System.CommandLine reads them as arguments, so an optional
    /// argument takes them (`ffn stats F.h5:u8 --frobnicate` read it as a dataset name). An option's own value may
    /// start with "--", and after a "--" token everything is an argument.
    /// </summary>
    private static IEnumerable<string> UnknownOptions(ParseResult parsed)
    {
        var optionValues = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        for (SymbolResult? c = parsed.CommandResult; c is not null; c = c.Parent)
            foreach (var o in ((CommandResult)c).Children.OfType<OptionResult>()) optionValues.UnionWith(o.Tokens);
        foreach (var t in parsed.Tokens)
        {
            if (t.Type == TokenType.DoubleDash) yield break;
            if (t.Type == TokenType.Argument && t.Value.Length > 2 && t.Value.StartsWith("--", StringComparison.Ordinal) && !optionValues.Contains(t))
                yield return t.Value;
        }
    }

    private static string? ConfigFileArg(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
                return i + 1 < args.Length ? args[i + 1] : throw Flags.Missing("--config", "a file path");
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
        var libtorch = Flags.Make<string>(ctx, "torch", LibTorchFlag,
            $"Run the libtorch in DIR (a PyTorch install's torch/lib or an unpacked libtorch's lib folder; CUDA when it has it) instead of the bundled CPU one (env {Ffn.Model.Runtime.LibTorchSource.Variable})");
        libtorch.Recursive = true;
        root.Options.Add(libtorch);
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
        root.Subcommands.Add(CertsCommand.Create(ctx));
        root.Subcommands.Add(EvalCommand.Create(ctx));
        root.Subcommands.Add(StitchCommand.Create(ctx));
        root.Subcommands.Add(ExportCommand.Create(ctx));
        root.Subcommands.Add(ViewCommand.Create(ctx));
        root.Subcommands.Add(MeshCommand.Create(ctx));
        root.Subcommands.Add(ReportCommand.Create(ctx));
        root.Subcommands.Add(DemoCommand.Create(ctx));
        root.Subcommands.Add(BenchCommand.Create(ctx));
        root.Subcommands.Add(DoctorCommand.Create(ctx));
        root.Subcommands.Add(KernelProbeCommand.Create(ctx));
        return root;
    }
}
