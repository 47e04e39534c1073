using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ffn.Host.Cli;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using TorchSharp;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn doctor [--json]`: what a bug report needs — ffn, OS, .NET, CPU and its vector ISA, the kernel self-check's
/// verdicts for inference and for training and the oneDNN ISA in use (training's), libtorch (version, file, build),
/// threads, what --precision auto picks here (the bf16 self-check and timing), CUDA and GPUs, the GLIBCXX fix, and
/// whether the tests' Python oracle imports.
/// </summary>
public static class DoctorCommand
{
    public const string OracleModules = "numpy, h5py, tifffile, scipy, skimage, torch, zarr, numcodecs";
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static Command Create(CommandContext ctx)
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var python = Flags.Make<string>(ctx, "doctor", "--python", "The Python the tests use as an oracle (\"\" = skip that check)");
        var kernels = new KernelFlags(ctx);
        var minSpeedup = Flags.Make<double>(ctx, "model", "--bf16-min-speedup", "auto picks bf16 only where its convolution is at least this many times faster than fp32's");
        var cmd = new Command("doctor", "Report the machine, libtorch, the CPU kernel self-check and CUDA, for bug reports") { json, python, minSpeedup };
        foreach (var o in kernels.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            // This process runs training's choice, right for both purposes: its oneDNN is what a training run gets.
            var training = kernels.Prepare(r, KernelPurpose.Training);
            var trainingPath = KernelGuard.CachePath;
            var inference = kernels.Check(r, KernelPurpose.Inference, out var inferencePath);
            var options = kernels.Options(r, KernelPurpose.Training);
            var precision = Precision(r.GetValue(minSpeedup), options, inference, training, ctx);
            var report = Build(options.Mode, (inference, inferencePath), (training, trainingPath), precision, r.GetValue(python)!);
            ctx.Out.WriteLine(r.GetValue(json) ? report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) : Text(report));
            return FfnCli.Ok;
        });
        return cmd;
    }

    /// <summary>
    /// What --precision auto picks for inference. The bf16 check must run inference's kernels; this process runs
    /// training's, so where the two differ (only backward passes failed) it reports inference's cached verdict, if any.
    /// </summary>
    private static PrecisionChoice Precision(double minSpeedup, KernelGuardOptions options, KernelVerdict inference, KernelVerdict training, CommandContext ctx)
    {
        if (inference.Chosen == training.Chosen)
            return PrecisionGuard.Resolve("auto", minSpeedup, options.Mode, options.CacheDirectory, line => ctx.Progress.Report(line));
        if (options.Mode != SelfCheckMode.Never && PrecisionGuard.Cached(inference.Chosen, options.CacheDirectory) is { } cached)
            return PrecisionGuard.Auto(cached, minSpeedup);
        return new PrecisionChoice(Model.Network.Precision.Fp32, "auto", $"bf16 not yet checked under inference's {inference.Chosen} kernels " +
            $"(this process runs training's {training.Chosen}); the first `ffn infer --precision auto` checks it", null);
    }

    private static JsonObject Build(SelfCheckMode mode, (KernelVerdict Verdict, string? Path) inference, (KernelVerdict Verdict, string? Path) training,
        PrecisionChoice precision, string python)
    {
        var cpu = CpuInfo.Get();
        var info = typeof(DoctorCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var plus = info.IndexOf('+');
        var chosen = training.Verdict.ChosenProbe;
        var loaded = LibTorch.LoadedFrom;
        // TorchSharp's glue sits beside ffn, which is beside libtorch only when libtorch is the bundled one.
        var torchSharpNative = LibTorchSource.Mapped("libLibTorchSharp.so").FirstOrDefault() ?? (loaded is null ? null : Path.Combine(Path.GetDirectoryName(loaded)!, "libLibTorchSharp.so"));
        var glibcxx = GlibcxxCheck.Check(torchSharpNative);
        var gpus = NvidiaDevices.Query();
        bool cuda = torch.cuda.is_available();
        return new JsonObject
        {
            ["ffn"] = new JsonObject { ["version"] = plus < 0 ? info : info[..plus], ["commit"] = plus < 0 ? null : info[(plus + 1)..] },
            ["os"] = OsName(),
            ["kernel"] = File.Exists("/proc/sys/kernel/osrelease") ? $"Linux {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()} {RuntimeInformation.OSArchitecture}" : RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["cpu"] = new JsonObject
            {
                ["model"] = cpu.Model, ["vendor"] = cpu.Vendor, ["family"] = cpu.Family, ["model_number"] = cpu.ModelNumber,
                ["stepping"] = cpu.Stepping, ["microcode"] = cpu.Microcode, ["logical_cores"] = cpu.LogicalCores,
                ["fingerprint"] = cpu.Fingerprint,
                ["isa_flags"] = Array(cpu.VectorFlags),
                ["onednn_isa_levels"] = Array(OneDnnIsa.Supported(cpu)),
            },
            ["self_check"] = new JsonObject
            {
                ["mode"] = mode.ToString().ToLowerInvariant(),
                ["tolerance"] = KernelSelfCheck.Tolerance,
                ["applied"] = training.Verdict.Purpose.Name(),
                ["inference"] = VerdictJson(inference.Verdict, inference.Path),
                ["training"] = VerdictJson(training.Verdict, training.Path),
            },
            ["onednn"] = new JsonObject
            {
                ["version"] = LibTorch.OneDnnVersion,
                ["enabled"] = LibTorch.OneDnnEnabled,
                ["max_cpu_isa"] = NativeEnvironment.Get(KernelGuard.OneDnnIsaVariable),
                ["isa_in_use"] = chosen?.OneDnnIsa,
                ["implementations"] = Array(chosen?.Implementations ?? []),
            },
            ["libtorch"] = new JsonObject
            {
                ["version"] = LibTorch.Version, ["source"] = LibTorchSource.Description, ["path"] = loaded,
                ["version_file"] = LibTorchSource.Directory?.VersionFile, ["loaded_copies"] = Array(LibTorchSource.MappedCpuLibraries()), ["build_id"] = LibTorch.BuildId, ["mkl"] = LibTorch.MklVersion,
                ["aten_cpu_capability"] = LibTorch.CpuCapability, ["aten_cpu_capability_cap"] = NativeEnvironment.Get(KernelGuard.AtenCapabilityVariable),
            },
            ["precision"] = new JsonObject
            {
                ["auto"] = precision.Precision.Name(), ["reason"] = precision.Reason,
                ["bf16_passed"] = precision.Bf16?.Passed, ["bf16_conv_ms"] = precision.Bf16 is { } b ? Math.Round(b.Bf16Ms, 3) : null,
                ["fp32_conv_ms"] = precision.Bf16 is { } f ? Math.Round(f.Fp32Ms, 3) : null, ["kernels"] = precision.Bf16?.KernelConfig,
                ["source"] = precision.Bf16?.Source,
            },
            ["threads"] = new JsonObject { ["intra_op"] = torch.get_num_threads(), ["inter_op"] = torch.get_num_interop_threads(), ["backend"] = ParallelBackend() },
            ["cuda"] = new JsonObject
            {
                ["available"] = cuda,
                ["libtorch_devices"] = cuda ? torch.cuda.device_count() : 0,
                ["driver"] = gpus.Driver,
                ["devices"] = new JsonArray([.. gpus.Devices.Select(d => (JsonNode)new JsonObject
                {
                    ["index"] = d.Index, ["name"] = d.Name, ["total_bytes"] = d.TotalBytes, ["free_bytes"] = d.FreeBytes,
                })]),
                ["note"] = gpus.Problem,
            },
            ["glibcxx_fix"] = new JsonObject
            {
                ["summary"] = glibcxx.Summary, ["system_libstdcxx"] = glibcxx.SystemLibrary, ["system_provides"] = glibcxx.SystemProvides,
                ["libtorchsharp"] = glibcxx.TorchSharpLibrary, ["need_present"] = glibcxx.NeedPresent, ["need_weak"] = glibcxx.NeedWeak,
            },
            ["python_oracle"] = PythonOracle(python),
        };
    }

    /// <summary>One purpose's verdict; its probes pass or fail, and name their worst and failed cases, among the cases the purpose needs.</summary>
    private static JsonObject VerdictJson(KernelVerdict v, string? path) => new()
    {
        ["requested"] = v.Requested,
        ["chosen"] = v.Chosen,
        ["source"] = v.Source,
        ["reason"] = v.Reason,
        ["checked_at"] = v.Source == "not-checked" ? null : v.CheckedAt.ToString("u", Ci),
        ["cache_file"] = path,
        ["probes"] = new JsonArray([.. v.Probes.Select(p => (JsonNode)new JsonObject
        {
            ["config"] = p.Config, ["passed"] = p.PassesFor(v.Purpose), ["error"] = p.Error,
            ["worst_case"] = p.Worst(v.Purpose)?.Name, ["worst_error"] = p.Worst(v.Purpose) is { } w && double.IsFinite(w.MaxError) ? w.MaxError : null,
            ["failed_cases"] = Array(p.CasesFor(v.Purpose).Where(c => !c.Passed).Select(c => c.Name)),
            ["onednn_isa"] = p.OneDnnIsa, ["implementations"] = Array(p.Implementations),
            ["check_seconds"] = Math.Round(p.CheckSeconds, 3), ["wall_seconds"] = Math.Round(p.WallSeconds, 3),
        })]),
    };

    private static JsonArray Array(IEnumerable<string> items) => new([.. items.Select(s => (JsonNode)JsonValue.Create(s)!)]);

    private static string OsName()
    {
        const string path = "/etc/os-release";
        if (File.Exists(path))
            foreach (var line in File.ReadLines(path))
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) return line["PRETTY_NAME=".Length..].Trim('"');
        return RuntimeInformation.OSDescription;
    }

    private static string ParallelBackend()
    {
        foreach (var line in LibTorch.ParallelSummary.Split('\n'))
            if (line.StartsWith("ATen parallel backend:", StringComparison.Ordinal)) return line["ATen parallel backend:".Length..].Trim();
        return "unknown";
    }

    private static JsonObject PythonOracle(string python)
    {
        if (string.IsNullOrEmpty(python)) return new JsonObject { ["python"] = null, ["importable"] = null, ["detail"] = "not checked" };
        var psi = ChildProcess.StartInfo(python, ["-c", $"import {OracleModules}; print(' '.join(f'{{m.__name__}} {{m.__version__}}' for m in ({OracleModules})))"]);
        try
        {
            var (code, stdout, stderr) = ChildProcess.Run(psi, TimeSpan.FromSeconds(120));
            var detail = code == 0 ? stdout.Trim() : ChildProcess.LastLine(stderr);
            return new JsonObject { ["python"] = python, ["importable"] = code == 0, ["detail"] = detail };
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new JsonObject { ["python"] = python, ["importable"] = false, ["detail"] = e.Message };
        }
    }

    private static string Text(JsonObject j)
    {
        string S(JsonNode? n) => n?.ToString() ?? "-";
        var c = j["cpu"]!;
        var sc = j["self_check"]!;
        var dn = j["onednn"]!;
        var lt = j["libtorch"]!;
        var th = j["threads"]!;
        var cu = j["cuda"]!;
        var py = j["python_oracle"]!;
        var applied = sc[S(sc["applied"])]!;
        string[] purposes = [KernelPurpose.Inference.Name(), KernelPurpose.Training.Name()];
        string Each(Func<JsonNode, string> part) => string.Join("; ", purposes.Select(p => $"{p}: {part(sc[p]!)}"));
        string Probes(JsonNode v) => v["probes"]!.AsArray().Count == 0 ? "none" : string.Join("; ", v["probes"]!.AsArray().Select(p => p!["passed"]!.GetValue<bool>()
            ? string.Create(Ci, $"{S(p["config"])} pass (worst error {p["worst_error"]?.GetValue<double>():G2}, {KernelSelfCheck.Tolerance:G2} allowed; {S(p["wall_seconds"])} s)")
            : $"{S(p["config"])} FAIL ({S(p["error"]) switch { "-" => string.Join("; ", p["failed_cases"]!.AsArray().Take(3).Select(S)), var e => e }})"));
        var devices = cu["devices"]!.AsArray().Select(d => string.Create(Ci, $"{S(d!["index"])}: {S(d["name"])}, {d["total_bytes"]!.GetValue<long>() / 1073741824.0:F1} GiB ({d["free_bytes"]!.GetValue<long>() / 1073741824.0:F1} free)")).ToList();
        var lines = new (string Key, string Value)[]
        {
            ("ffn", $"{S(j["ffn"]!["version"])} (commit {S(j["ffn"]!["commit"])})"),
            ("os", $"{S(j["os"])}; {S(j["kernel"])}"),
            (".net", S(j["dotnet"])),
            ("cpu", $"{S(c["model"])} ({S(c["vendor"])} family {S(c["family"])} model {S(c["model_number"])} stepping {S(c["stepping"])}, microcode {S(c["microcode"])}), {S(c["logical_cores"])} logical cores"),
            ("cpu isa", string.Join(' ', c["isa_flags"]!.AsArray().Select(S))),
            ("onednn levels", string.Join(' ', c["onednn_isa_levels"]!.AsArray().Select(S))),
            ("self-check", $"{S(sc["mode"])}; " + Each(v => $"{S(v["chosen"])}: {S(v["reason"])} [{S(v["source"])}{(v["checked_at"] is null ? "" : ", checked " + S(v["checked_at"]))}]")),
            ("probes", Each(Probes)),
            ("verdict file", Each(v => S(v["cache_file"]))),
            ("cpu kernels", $"{S(applied["chosen"])} ({S(sc["applied"])}'s choice): oneDNN {S(dn["version"])} {(dn["enabled"]!.GetValue<bool>() ? $"runs \"{S(dn["isa_in_use"])}\" ({string.Join(", ", dn["implementations"]!.AsArray().Select(S))})" : "off")}"),
            ("libtorch", $"{S(lt["version"])} ({S(lt["source"])}) from {S(lt["path"])} (build id {S(lt["build_id"])}), MKL {S(lt["mkl"])}, ATen CPU capability {S(lt["aten_cpu_capability"])}"),
            ("precision", $"auto = {S(j["precision"]!["auto"])} ({S(j["precision"]!["reason"])}) [{S(j["precision"]!["source"])}]"),
            ("threads", $"{S(th["intra_op"])} intra-op, {S(th["inter_op"])} inter-op ({S(th["backend"])})"),
            ("cuda", (cu["available"]!.GetValue<bool>() ? $"available, {S(cu["libtorch_devices"])} device(s)" : "not available in this libtorch")
                     + (cu["driver"] is null ? $"; {S(cu["note"])}" : $"; NVIDIA driver {S(cu["driver"])}: " + (devices.Count > 0 ? string.Join("; ", devices) : "no devices"))),
            ("glibcxx fix", S(j["glibcxx_fix"]!["summary"])),
            ("python oracle", py["importable"] is null ? "not checked" : $"{S(py["python"])}: {(py["importable"]!.GetValue<bool>() ? "" : "NOT importable: ")}{S(py["detail"])}"),
        };
        int w = lines.Max(l => l.Key.Length) + 2;
        return string.Join('\n', lines.Select(l => l.Key.PadRight(w) + l.Value));
    }
}
