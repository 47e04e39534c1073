using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ffn.Model.Network;
using TorchSharp;

namespace Ffn.Model.Runtime;

/// <summary>What --precision resolved to, and why.</summary>
public sealed record PrecisionChoice(Precision Precision, string Requested, string Reason, Bf16Verdict? Bf16);

/// <summary>
/// Resolves --precision for this process: fp32 and bf16 as asked (bf16 checked, with a warning where it is wrong or
/// slow here), auto to bf16 only where <see cref="Bf16SelfCheck"/> passes under the process's CPU kernels and
/// bf16's convolution is at least <c>minSpeedup</c> times as fast as float32's, else fp32. The check runs in this
/// process after <see cref="KernelGuard.Prepare"/> (it must run the kernels the network will), once per CPU,
/// libtorch build and kernel configuration; its verdict is cached in the kernel cache directory.
/// </summary>
public static class PrecisionGuard
{
    private static readonly Lock Gate = new();
    private static Bf16Verdict? _checked;

    public static PrecisionChoice Resolve(string requested, double minSpeedup, SelfCheckMode mode, string? cacheDirectory, Action<string> log)
    {
        var text = requested.Trim().ToLowerInvariant();
        if (text == "fp32" || text == "float32") return new PrecisionChoice(Precision.Fp32, text, "requested", null);
        if (text != "auto") Precisions.Parse(requested); // a one-line error for anything else
        if (!(minSpeedup > 0)) throw new InputException($"--bf16-min-speedup must be > 0, got {minSpeedup.ToString(CultureInfo.InvariantCulture)}");
        if (mode == SelfCheckMode.Never)
            return text == "auto" ? new PrecisionChoice(Precision.Fp32, text, "self-check off: bf16 is not chosen unchecked", null)
                : new PrecisionChoice(Precision.Bf16, text, "requested; self-check off", null);

        var v = Check(mode, cacheDirectory, log);
        if (text == "auto") return Auto(v, minSpeedup);
        string figures = Figures(v);
        bool fast = v.Speedup >= minSpeedup;
        if (!v.Passed) log($"ffn: warning: --precision bf16: bfloat16 convolutions give wrong results on this CPU ({Worst(v)}); inference may be wrong");
        else if (!fast) log($"ffn: warning: --precision bf16: bfloat16 is not faster than float32 on this CPU ({figures})");
        return new PrecisionChoice(Precision.Bf16, text, "requested; " + figures, v);
    }

    /// <summary>What auto picks given a bf16 verdict: bf16 where it passes and is at least <paramref name="minSpeedup"/> times as fast.</summary>
    public static PrecisionChoice Auto(Bf16Verdict v, double minSpeedup)
    {
        var chosen = v.Passed && v.Speedup >= minSpeedup ? Precision.Bf16 : Precision.Fp32;
        return new PrecisionChoice(chosen, "auto", $"{Figures(v)}; auto needs a pass and >= {minSpeedup.ToString(CultureInfo.InvariantCulture)}x", v);
    }

    /// <summary>
    /// A cached verdict for other kernels than this process runs (`ffn doctor` runs training's, and inference's may
    /// differ), with any thread count; null where none was recorded.
    /// </summary>
    public static Bf16Verdict? Cached(string kernelConfig, string? cacheDirectory)
    {
        var cpu = CpuInfo.Get();
        var cache = new KernelVerdictCache(cacheDirectory is { Length: > 0 } d ? d : KernelVerdictCache.DefaultDirectory);
        if (!Directory.Exists(cache.Directory)) return null;
        return Directory.EnumerateFiles(cache.Directory, "kernel-check-bf16-*.json").Select(Read)
            .Where(v => v is not null && v.CheckVersion == Bf16SelfCheck.Version && v.CpuFingerprint == cpu.Fingerprint && v.KernelConfig == kernelConfig
                && v.LibTorchBuildId == LibTorch.BuildId)
            .OrderByDescending(v => v!.CheckedAt).FirstOrDefault() is { } hit ? hit with { Source = "cache" } : null;
    }

    private static string Figures(Bf16Verdict v) => string.Create(CultureInfo.InvariantCulture,
        $"bf16 conv {v.Bf16Ms:F1} ms vs fp32 {v.Fp32Ms:F1} ms ({v.Speedup:F2}x) under {v.KernelConfig} kernels, self-check {(v.Passed ? "passes" : "FAILS: " + Worst(v))}");

    /// <summary>The bf16 verdict for the kernels this process runs: cached (mode auto) or checked now.</summary>
    public static Bf16Verdict Check(SelfCheckMode mode, string? cacheDirectory, Action<string> log)
    {
        lock (Gate)
        {
            if (_checked is { } done && mode != SelfCheckMode.Always) return done;
            var cpu = CpuInfo.Get();
            var kernels = KernelGuard.Current?.Chosen ?? KernelConfig.Default.Name;
            int threads = torch.get_num_threads();
            var cache = new KernelVerdictCache(cacheDirectory is { Length: > 0 } d ? d : KernelVerdictCache.DefaultDirectory);
            var key = Key(cpu, kernels, threads);
            if (mode == SelfCheckMode.Auto && Read(cache.PathFor(key)) is { } hit && hit.CheckVersion == Bf16SelfCheck.Version
                && hit.CpuFingerprint == cpu.Fingerprint && hit.KernelConfig == kernels)
                return _checked = hit with { Source = "cache" };

            var r = Bf16SelfCheck.Run();
            var v = new Bf16Verdict
            {
                CpuModel = cpu.Model, CpuFingerprint = cpu.Fingerprint, LibTorchVersion = LibTorch.Version, LibTorchBuildId = LibTorch.BuildId,
                KernelConfig = kernels, Threads = threads, Passed = r.Passed, Fp32Ms = r.Fp32Ms, Bf16Ms = r.Bf16Ms, Cases = [.. r.Cases],
            };
            bool cached = TryWrite(cache, key, v, out var problem);
            if (!cached) log($"ffn: warning: cannot cache the bf16 self-check in {cache.Directory} ({problem}); it will run again at the next start");
            log(string.Create(CultureInfo.InvariantCulture, $"ffn: bf16 self-check: {(v.Passed ? "pass" : "FAIL")}, bf16 conv {v.Bf16Ms:F1} ms vs fp32 {v.Fp32Ms:F1} ms " +
                $"({r.Seconds:F1} s; {(cached ? "recorded in " + cache.PathFor(key) : "not recorded")})"));
            return _checked = v;
        }
    }

    /// <summary>Cache key: "bf16-" then a hash of CPU, libtorch build, check version, kernel configuration and threads.</summary>
    public static string Key(CpuInfo cpu, string kernelConfig, int threads)
    {
        var text = string.Join('|', cpu.Fingerprint, LibTorch.Version, LibTorch.BuildId, Bf16SelfCheck.Version, kernelConfig, threads);
        return "bf16-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20];
    }

    private static string Worst(Bf16Verdict v)
    {
        var w = v.Cases.MaxBy(c => double.IsNaN(c.MaxError) ? double.PositiveInfinity : c.MaxError);
        return w is null ? "no cases" : string.Create(CultureInfo.InvariantCulture, $"{w.Name}: {w.MaxError:G3} of the allowed error");
    }

    private static Bf16Verdict? Read(string path)
    {
        try
        {
            return File.Exists(path) ? Bf16Verdict.FromJson(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool TryWrite(KernelVerdictCache cache, string key, Bf16Verdict v, out string? problem)
    {
        try
        {
            Directory.CreateDirectory(cache.Directory);
            Volumes.AtomicFile.WriteAllText(cache.PathFor(key), v.ToJson());
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Volumes.VolumeException)
        {
            problem = e.Message;
            return false;
        }
    }
}
