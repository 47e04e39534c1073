using System.CommandLine;
using Ffn.Model.Network;
using Ffn.Model.Runtime;

namespace Ffn.Host.Cli;

/// <summary>
/// How an inference network runs on its device: --precision (fp32, bf16, auto), --bf16-min-speedup,
/// --channels-last and --cpu-batch-slice (HOCON ffn.model.*). <see cref="Resolve"/> runs after
/// <see cref="TorchFlags.Prepare"/>, because auto's bf16 self-check must run the kernels the network will.
/// </summary>
public sealed class PrecisionFlags
{
    private const string S = "model";
    private readonly CommandContext _ctx;

    public Option<string> Precision { get; }
    public Option<double> MinSpeedup { get; }
    public Option<bool> ChannelsLast { get; }
    public Option<int> CpuBatchSlice { get; }

    public PrecisionFlags(CommandContext ctx)
    {
        _ctx = ctx;
        Precision = Flags.Make<string>(ctx, S, "--precision",
            "Network number format: fp32, bf16 (float32 accumulation and logits), or auto (bf16 where its self-check passes and it is fast)");
        MinSpeedup = Flags.Make<double>(ctx, S, "--bf16-min-speedup", "auto picks bf16 only where its convolution is at least this many times faster than fp32's");
        ChannelsLast = Flags.Make<bool>(ctx, S, "--channels-last", "Run activations in channels-last (NDHWC) layout (oneDNN's convolutions take it without reordering)");
        CpuBatchSlice = Flags.Make<int>(ctx, S, "--cpu-batch-slice", "FoVs per network call on a CPU when FoVs are batched (0 = the whole batch)");
    }

    public IEnumerable<Option> All => [Precision, MinSpeedup, ChannelsLast, CpuBatchSlice];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>The forward settings for this process (resolving auto; runs or reads the bf16 self-check where needed).</summary>
    public ForwardSettings Resolve(ParseResult r, TorchFlags torch) => Resolve(r, torch, out _);

    public ForwardSettings Resolve(ParseResult r, TorchFlags torch, out PrecisionChoice choice)
    {
        var slice = r.GetValue(CpuBatchSlice);
        if (slice < 0) throw new UsageException($"--cpu-batch-slice must be >= 0, got {slice}");
        var kernels = torch.Kernels.Options(r, KernelPurpose.Inference);
        choice = PrecisionGuard.Resolve(r.GetValue(Precision)!, r.GetValue(MinSpeedup), kernels.Mode, kernels.CacheDirectory, line => _ctx.Progress.Report(line));
        if (r.GetValue(Precision)!.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
            _ctx.Progress.Report($"ffn: --precision auto: {choice.Precision.Name()} ({choice.Reason})");
        return new ForwardSettings { Precision = choice.Precision, ChannelsLast = r.GetValue(ChannelsLast), CpuBatchSlice = slice };
    }
}
