using System.CommandLine;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using TorchSharp;

namespace Ffn.Host.Cli;

/// <summary>
/// Where a command's network runs: --device and --threads (HOCON ffn.model.*), with the CPU kernel flags of
/// <see cref="KernelFlags"/>. Every command that runs a network declares them through this class, so they mean the
/// same everywhere; <see cref="Prepare"/> applies them before the command's first libtorch kernel.
/// </summary>
public sealed class TorchFlags
{
    public const string DefaultThreadsSection = "model", DefaultThreadsDescription = "CPU threads for libtorch (0 = one per core)";

    public Option<string> Device { get; }
    public Option<int> Threads { get; }
    public KernelFlags Kernels { get; }

    /// <param name="threadsSection">
    /// HOCON section of --threads' default: benchmarks that time two implementations on one thread count read
    /// theirs from ffn.bench.NAME.threads.
    /// </param>
    public TorchFlags(CommandContext ctx, string threadsSection = DefaultThreadsSection, string threadsDescription = DefaultThreadsDescription)
    {
        Device = Flags.Make<string>(ctx, "model", "--device", "auto (CUDA if available), cpu, cuda or cuda:N");
        Threads = Flags.Make<int>(ctx, threadsSection, "--threads", threadsDescription);
        Kernels = new KernelFlags(ctx);
    }

    public IEnumerable<Option> All => [Device, Threads, .. Kernels.All];

    /// <summary>Adds <see cref="All"/> to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>
    /// Chooses and applies the CPU kernels for <paramref name="purpose"/> (self-check, cache), sets libtorch's thread
    /// count and returns the device (a bad --threads or --device is an error before any network is built).
    /// </summary>
    public torch.Device Prepare(ParseResult r, KernelPurpose purpose)
    {
        Kernels.Prepare(r, purpose);
        TorchRuntime.SetThreads(r.GetValue(Threads));
        return TorchRuntime.ParseDevice(r.GetValue(Device)!);
    }
}
