using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn doctor` and the kernel guard as real processes: real probe processes, the CPU facts read independently from
/// /proc/cpuinfo, and a cached verdict that must reach oneDNN before the command's first kernel.
/// </summary>
public class DoctorCommandTests
{
    private static readonly Dictionary<string, string?> Clean = new()
    {
        [KernelGuard.OneDnnIsaVariable] = null, [KernelGuard.AtenCapabilityVariable] = null, ["FFN_SELF_CHECK"] = null, ["ONEDNN_VERBOSE"] = null,
    };

    private static HashSet<string> CpuFlags() =>
        [.. File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    [Fact]
    public void Json_report_describes_this_machine_and_a_fresh_self_check()
    {
        using var dir = new TempDir();
        var r = Cli.RunProcess(Clean, "doctor", "--json", "--self-check", "always", "--kernel-cache", dir.Path);
        Assert.True(r.ExitCode == 0, r.Err);
        var j = JsonNode.Parse(r.Out)!;

        Assert.Matches("^[0-9a-f]{40}$", j["ffn"]!["commit"]!.GetValue<string>());
        var model = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
        Assert.Equal(model, j["cpu"]!["model"]!.GetValue<string>());
        var flags = CpuFlags();
        var levels = j["cpu"]!["onednn_isa_levels"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(flags.Contains("avx2") && flags.Contains("fma"), levels.Contains("AVX2"));
        Assert.Equal(new[] { "avx512f", "avx512bw", "avx512vl", "avx512dq" }.All(flags.Contains), levels.Contains("AVX512_CORE"));

        var packages = File.ReadAllText(Path.Combine(TestData.RepoRoot, "Directory.Packages.props"));
        var libtorch = Regex.Match(packages, "\"libtorch-cpu-linux-x64\" Version=\"([^\"]+)\"").Groups[1].Value;
        Assert.Equal(libtorch, j["libtorch"]!["version"]!.GetValue<string>());
        Assert.StartsWith(AppContext.BaseDirectory, j["libtorch"]!["path"]!.GetValue<string>());

        var sc = j["self_check"]!;
        Assert.Equal("training", sc["applied"]!.GetValue<string>());
        var files = new List<string>();
        foreach (var purpose in new[] { KernelPurpose.Inference, KernelPurpose.Training })
        {
            var v = sc[purpose.Name()]!;
            Assert.Equal("checked", v["source"]!.GetValue<string>());
            var probes = v["probes"]!.AsArray();
            Assert.Equal("default", probes[0]!["config"]!.GetValue<string>());
            var chosen = v["chosen"]!.GetValue<string>();
            Assert.True(probes.Last()!["passed"]!.GetValue<bool>());
            Assert.Equal(chosen, probes.Last()!["config"]!.GetValue<string>());
            if (probes[0]!["passed"]!.GetValue<bool>()) Assert.Equal("default", chosen);
            var file = v["cache_file"]!.GetValue<string>();
            var cached = KernelVerdict.FromJson(File.ReadAllText(file))!;
            Assert.Equal(chosen, cached.Chosen);
            Assert.Equal(purpose, cached.Purpose);
            Assert.StartsWith(dir.Path, file);
            files.Add(file);
        }
        Assert.NotEqual(files[0], files[1]);
        // Inference needs a subset of training's cases: where the default passes training, it passes inference.
        if (sc["training"]!["chosen"]!.GetValue<string>() == "default") Assert.Equal("default", sc["inference"]!["chosen"]!.GetValue<string>());
        if (j["onednn"]!["enabled"]!.GetValue<bool>()) Assert.StartsWith("Intel", j["onednn"]!["isa_in_use"]!.GetValue<string>());

        Assert.True(j["python_oracle"]!["importable"]!.GetValue<bool>(), j["python_oracle"]!["detail"]?.ToString());
        Assert.True(j["threads"]!["intra_op"]!.GetValue<int>() >= 1);
        Assert.False(j["cuda"]!["available"]!.GetValue<bool>()); // this build carries the CPU libtorch
        var glibcxx = j["glibcxx_fix"]!;
        if (!glibcxx["system_provides"]!.GetValue<bool>()) Assert.True(glibcxx["need_weak"]!.GetValue<bool>());
    }

    [Fact]
    public void Text_report_names_what_a_bug_report_needs()
    {
        using var dir = new TempDir();
        var r = Cli.RunProcess(Clean, "doctor", "--kernel-cache", dir.Path, "--python", "");
        Assert.True(r.ExitCode == 0, r.Err);
        foreach (var key in new[] { "ffn", "os", ".net", "cpu", "cpu isa", "self-check", "cpu kernels", "libtorch", "threads", "cuda", "glibcxx fix", "python oracle" })
            Assert.Contains(r.Out.Split('\n'), l => l.StartsWith(key + " ", StringComparison.Ordinal));
        var selfCheck = r.Out.Split('\n').Single(l => l.StartsWith("self-check ", StringComparison.Ordinal));
        Assert.Contains("; inference: ", selfCheck);
        Assert.Contains("; training: ", selfCheck);
        Assert.Contains("kernel self-check", r.Err); // the one line a fresh check prints
    }

    [Fact]
    public void A_requested_isa_cap_is_what_onednn_runs_in_the_probe()
    {
        if (!CpuFlags().Contains("avx2")) return;
        using var dir = new TempDir();
        var r = Cli.RunProcess(Clean, "doctor", "--json", "--cpu-kernels", "AVX2", "--kernel-cache", dir.Path, "--python", "");
        Assert.True(r.ExitCode == 0, r.Err);
        var j = JsonNode.Parse(r.Out)!;
        Assert.Equal("onednn-isa=AVX2", j["self_check"]!["training"]!["chosen"]!.GetValue<string>());
        Assert.Equal("onednn-isa=AVX2", j["self_check"]!["inference"]!["chosen"]!.GetValue<string>());
        Assert.Equal("Intel AVX2", j["onednn"]!["isa_in_use"]!.GetValue<string>());
        Assert.Equal("AVX2", j["onednn"]!["max_cpu_isa"]!.GetValue<string>());
        Assert.DoesNotContain(j["onednn"]!["implementations"]!.AsArray(), n => n!.GetValue<string>().Contains("avx512"));
    }

    [Fact]
    public void A_cached_fallback_verdict_reaches_onednn_before_the_first_kernel()
    {
        if (!CpuFlags().Contains("avx2")) return;
        using var dir = new TempDir();
        var modelPath = TestModels.BrightObjects(dir.File("m.pkl"));
        var rnd = new Random(1);
        NpyFile.Write(dir.File("x.npy"), NdArray.Create([.. Enumerable.Range(0, 4 * 2 * 729).Select(_ => (float)rnd.NextDouble())], 4, 2, 9, 9, 9));
        string[] Forward(params string[] extra) =>
        [
            "model", "forward", modelPath, "--input", dir.File("x.npy"), "--output", dir.File("y.npy"), "--threads", "1", .. extra,
        ];
        var verbose = new Dictionary<string, string?>(Clean) { ["ONEDNN_VERBOSE"] = "1" };

        // Control: libtorch's own choice, unchecked.
        var control = Cli.RunProcess(verbose, Forward("--self-check", "never"));
        Assert.True(control.ExitCode == 0, control.Err);
        Assert.Contains("exec,cpu,convolution", control.Out);
        if (new[] { "avx512f", "avx512bw", "avx512vl", "avx512dq" }.All(CpuFlags().Contains))
            Assert.Contains(control.Out.Split('\n'), l => l.Contains("exec,cpu,convolution") && l.Contains("avx512")); // so the cap below changes something

        // An inference verdict (model forward's purpose), as the self-check records it on a CPU whose default kernels
        // failed, for this CPU and libtorch.
        var cpu = CpuInfo.Get();
        var key = KernelVerdictCache.Key(cpu, LibTorch.Version, LibTorch.BuildId, "auto", KernelPurpose.Inference);
        var verdict = new KernelVerdict
        {
            Chosen = "onednn-isa=AVX2", Reason = "test: default kernels fail", Purpose = KernelPurpose.Inference, CpuModel = cpu.Model, CpuFingerprint = cpu.Fingerprint,
            LibTorchVersion = LibTorch.Version, LibTorchBuildId = LibTorch.BuildId,
        };
        Assert.True(new KernelVerdictCache(dir.File("cache")).TryWrite(key, verdict, out _));
        var capped = Cli.RunProcess(verbose, Forward("--kernel-cache", dir.File("cache")));
        Assert.True(capped.ExitCode == 0, capped.Err);
        Assert.Contains("isa:Intel AVX2", capped.Out);
        var convs = capped.Out.Split('\n').Where(l => l.Contains("exec,cpu,convolution")).ToList();
        Assert.NotEmpty(convs);
        Assert.DoesNotContain(convs, l => l.Contains("avx512"));
        Assert.Equal(new long[] { 4, 1, 9, 9, 9 }, NpyFile.Read(dir.File("y.npy")).Shape);
    }

    [Theory]
    [InlineData("--self-check", "sometimes", "--self-check sometimes: expected always, auto or never")]
    [InlineData("--cpu-kernels", "AVX9", "--cpu-kernels AVX9:")]
    public void Bad_kernel_flags_are_one_line_errors(string flag, string value, string message)
    {
        var r = Cli.Run("doctor", flag, value, "--python", "");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Err);
        Assert.Single(r.ErrLines);
    }
}
