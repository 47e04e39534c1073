using Ffn.Model.Runtime;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Runtime;

/// <summary>
/// How the guard picks a configuration from probe reports and caches the verdict. Probes are given here as
/// functions of the configuration (what a probe process would report on a CPU with a given defect); the real
/// probe processes are exercised by the doctor tests.
/// </summary>
public class KernelGuardTests
{
    private static KernelProbeReport Report(KernelConfig c, bool convOk, bool reluOk = true) => new()
    {
        Config = c.Name,
        Passed = convOk && reluOk,
        Cases =
        [
            new KernelCaseResult("conv3d 32->32 k3 n4 7x9x11 backward weights", convOk ? 2e-7 : 0.3, convOk),
            new KernelCaseResult("relu backward", reluOk ? 0 : 1, reluOk),
        ],
        WallSeconds = 1,
    };

    private static int Rank(string? isa) => isa is null ? int.MaxValue : OneDnnIsa.Levels.ToList().FindIndex(l => l.Name == isa);

    [Fact]
    public void Default_kernels_that_pass_are_chosen_with_one_probe_and_cached()
    {
        using var dir = new TempDir();
        var tried = new List<string>();
        var options = new KernelGuardOptions { CacheDirectory = dir.Path };
        var v = KernelGuard.Resolve(options, c => { tried.Add(c.Name); return Report(c, true); }, _ => { }, out var path);
        Assert.Equal("default", v.Chosen);
        Assert.Equal(["default"], tried);
        Assert.True(File.Exists(path));

        var again = KernelGuard.Resolve(options, c => throw new InvalidOperationException("the cache should answer"), _ => { }, out var path2);
        Assert.Equal("cache", again.Source);
        Assert.Equal(path, path2);
        Assert.Equal("default", again.Chosen);

        // always: the cache is ignored and the check runs again.
        tried.Clear();
        KernelGuard.Resolve(options with { Mode = SelfCheckMode.Always }, c => { tried.Add(c.Name); return Report(c, true); }, _ => { }, out _);
        Assert.Equal(["default"], tried);
    }

    [Fact]
    public void Wrong_avx512_convolutions_fall_back_to_the_fastest_cap_that_passes()
    {
        var cpu = CpuInfo.Get();
        var levels = OneDnnIsa.Supported(cpu);
        if (!levels.Contains("AVX2")) return; // the fallback order below needs an AVX2 machine (every x86-64 CI machine here)
        using var dir = new TempDir();
        var logs = new List<string>();
        int avx2 = Rank("AVX2");
        // A CPU whose oneDNN convolutions are wrong above AVX2 (what the issue measured on Zen 5).
        KernelProbeReport Probe(KernelConfig c) => Report(c, c.OneDnn && Rank(c.OneDnnIsa) <= avx2 || !c.OneDnn);
        var v = KernelGuard.Resolve(new KernelGuardOptions { CacheDirectory = dir.Path }, Probe, logs.Add, out _);
        Assert.Equal("onednn-isa=AVX2", v.Chosen);
        Assert.True(v.DefaultFailed);
        var expected = new List<string> { "default" };
        expected.AddRange(levels.Reverse().TakeWhile(l => l != "AVX2").Select(l => $"onednn-isa={l}"));
        expected.Add("onednn-isa=AVX2");
        Assert.Equal(expected, v.Probes.Select(p => p.Config));
        var line = Assert.Single(logs);
        Assert.Contains("default CPU kernels give wrong results", line);
        Assert.Contains("using onednn-isa=AVX2", line);
    }

    [Fact]
    public void Wrong_elementwise_kernels_cap_aten_before_touching_onednn()
    {
        using var dir = new TempDir();
        var v = KernelGuard.Resolve(new KernelGuardOptions { CacheDirectory = dir.Path },
            c => Report(c, convOk: true, reluOk: c.AtenCapability is not null), _ => { }, out _);
        Assert.Equal("aten=avx2", v.Chosen);
        Assert.Equal(["default", "aten=avx2"], v.Probes.Select(p => p.Config));
    }

    [Fact]
    public void Nothing_passing_is_an_error_and_a_requested_config_that_fails_is_a_warning()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<KernelCheckException>(() =>
            KernelGuard.Resolve(new KernelGuardOptions { CacheDirectory = dir.Path }, c => Report(c, false), _ => { }, out _));
        Assert.Contains("--self-check never", e.Message);

        var logs = new List<string>();
        var v = KernelGuard.Resolve(new KernelGuardOptions { CacheDirectory = dir.Path, Requested = "onednn-isa=AVX2" }, c => Report(c, false), logs.Add, out _);
        Assert.Equal("onednn-isa=AVX2", v.Chosen);
        Assert.Contains(logs, l => l.Contains("warning") && l.Contains("wrong results"));
    }

    [Fact]
    public void Never_checks_nothing()
    {
        var v = KernelGuard.Resolve(new KernelGuardOptions { Mode = SelfCheckMode.Never, Requested = "off" },
            c => throw new InvalidOperationException("no probe expected"), _ => { }, out var path);
        Assert.Equal("off", v.Chosen);
        Assert.Equal("not-checked", v.Source);
        Assert.Null(path);
    }

    [Fact]
    public void A_cache_that_cannot_be_written_is_a_warning_not_a_failure()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("file"), "");
        var logs = new List<string>();
        var v = KernelGuard.Resolve(new KernelGuardOptions { CacheDirectory = dir.File("file") }, c => Report(c, true), logs.Add, out _);
        Assert.Equal("default", v.Chosen);
        Assert.Contains(logs, l => l.Contains("cannot cache"));
    }

    [Theory]
    [InlineData("default", "default")]
    [InlineData("off", "onednn=off")]
    [InlineData("avx2", "onednn-isa=AVX2")]
    [InlineData("onednn-isa=avx512_core+aten=AVX2", "onednn-isa=AVX512_CORE+aten=avx2")]
    [InlineData("onednn=off+aten=default", "onednn=off+aten=default")]
    public void Config_names_round_trip(string text, string name)
    {
        var c = KernelConfig.Parse(text);
        Assert.Equal(name, c.Name);
        Assert.Equal(c, KernelConfig.Parse(c.Name));
    }

    [Theory]
    [InlineData("AVX9")]
    [InlineData("aten=sse")]
    [InlineData("onednn")]
    public void Unknown_config_names_are_refused(string text) => Assert.Throws<FormatException>(() => KernelConfig.Parse(text));

    [Fact]
    public void Probe_output_is_parsed_with_onednn_verbose_lines()
    {
        var report = KernelProbeReport.From(KernelConfig.Parse("AVX2"), new KernelCheckResult([new KernelCaseResult("relu forward", 0, true)], 0.5));
        var stdout = string.Join('\n',
            "onednn_verbose,v1,info,oneDNN v3.7.1 (commit 8d263e693366ef8db40acc569cc7d8edf644556d)",
            "onednn_verbose,v1,info,cpu,isa:Intel AVX2",
            "onednn_verbose,v1,primitive,exec,cpu,convolution,jit:avx2,forward_training,src:f32::blocked:abcde::f0,,alg:convolution_direct,mb4_ic2oc16,0.1",
            "onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:f32::blocked:abcde::f0,,,4x2x7x9x11,0.01",
            "onednn_verbose,v1,primitive,exec,cpu,convolution,gemm:jit,backward_weights,src:f32::blocked:abcde::f0,,alg:convolution_direct,mb4_ic2oc16,0.1",
            report.ToLine(), "");
        var parsed = KernelProbeReport.Parse(stdout)!;
        Assert.Equal("onednn-isa=AVX2", parsed.Config);
        Assert.True(parsed.Passed);
        Assert.Equal("Intel AVX2", parsed.OneDnnIsa);
        Assert.Equal(["gemm:jit", "jit:avx2"], parsed.Implementations);
        Assert.Null(KernelProbeReport.Parse("onednn_verbose,v1,info,cpu,isa:Intel AVX2\n"));
    }
}
