using Ffn.Host.Cli;
using Ffn.Model.Network;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench forward --variants`: forward settings written as PRECISION[+cl][+sN] (fp32 or bf16; cl = channels-last;
/// sN = CPU batch slices of N FoVs), e.g. "bf16+cl" or "fp32+s1", each timed as its own column.
/// </summary>
public static class ForwardVariant
{
    public static ForwardSettings Parse(string text)
    {
        var parts = text.Split('+', StringSplitOptions.TrimEntries);
        var settings = new ForwardSettings { Precision = Precisions.Parse(parts[0], $"--variants {text}:") };
        foreach (var p in parts.Skip(1))
        {
            if (p == "cl") settings = settings with { ChannelsLast = true };
            else if (p.Length > 1 && p[0] == 's' && int.TryParse(p[1..], out var n) && n >= 0) settings = settings with { CpuBatchSlice = n };
            else throw new UsageException($"--variants {text}: '{p}' is not cl or sN (N >= 0)");
        }
        return settings;
    }

    /// <summary>The short form <see cref="Parse"/> reads.</summary>
    public static string Name(ForwardSettings s) => s.Precision.Name() + (s.ChannelsLast ? "+cl" : "") + (s.CpuBatchSlice > 0 ? $"+s{s.CpuBatchSlice}" : "");
}
