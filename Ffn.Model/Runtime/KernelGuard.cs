namespace Ffn.Model.Runtime;

/// <summary>What the guard is asked for: when to check, which kernels ("auto" = the self-check's choice), where to cache.</summary>
public sealed record KernelGuardOptions
{
    public SelfCheckMode Mode { get; init; } = SelfCheckMode.Auto;
    public string Requested { get; init; } = "auto";
    public string? CacheDirectory { get; init; }
}

/// <summary>
/// Chooses and applies this process's CPU kernel configuration before libtorch runs its first kernel. The
/// self-check runs in probe processes (one per configuration tried), because oneDNN fixes its instruction set the
/// first time it runs and a process cannot try a second one. In auto mode the first configuration that passes
/// wins, tried fastest first: libtorch's default, oneDNN capped at each lower instruction set this CPU has,
/// oneDNN off, then ATen's own kernels capped. The verdict is cached per CPU and libtorch build.
/// </summary>
public static class KernelGuard
{
    public const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA", AtenCapabilityVariable = "ATEN_CPU_CAPABILITY";
    private static readonly Lock Gate = new();

    /// <summary>The verdict this process runs under (null until <see cref="Prepare"/>).</summary>
    public static KernelVerdict? Current { get; private set; }

    /// <summary>Where <see cref="Current"/> was read from or written to, if anywhere.</summary>
    public static string? CachePath { get; private set; }

    public static KernelVerdict Prepare(KernelGuardOptions options, Func<KernelConfig, KernelProbeReport> probe, Action<string> log)
    {
        lock (Gate)
        {
            var requested = EffectiveRequest(options.Requested);
            if (Current is { } current && options.Mode != SelfCheckMode.Always && current.Requested == requested) return current;
            var verdict = Resolve(options with { Requested = requested }, probe, log, out var path);
            if (Current is null)
            {
                Apply(verdict.ChosenConfig);
                Current = verdict;
                CachePath = path;
            }
            else if (Current.Chosen != verdict.Chosen)
            {
                log($"ffn: warning: this process already runs the {Current.Chosen} CPU kernels; {verdict.Chosen} would need a new process");
            }
            return Current;
        }
    }

    /// <summary>Sets the configuration for this process; effective only before libtorch's first kernel.</summary>
    public static void Apply(KernelConfig config)
    {
        if (config.OneDnnIsa is { } isa) NativeEnvironment.Set(OneDnnIsaVariable, isa);
        if (config.AtenCapability is { } cap) NativeEnvironment.Set(AtenCapabilityVariable, cap);
        if (!config.OneDnn) LibTorch.OneDnnEnabled = false;
    }

    /// <summary>"auto", unless the user's environment already caps oneDNN or ATen: that is then the request.</summary>
    private static string EffectiveRequest(string requested)
    {
        if (!requested.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return KernelConfig.Parse(requested).Name;
            }
            catch (FormatException e)
            {
                throw new InputException($"--cpu-kernels {requested}: {e.Message}");
            }
        }
        var isa = NativeEnvironment.Get(OneDnnIsaVariable);
        var aten = NativeEnvironment.Get(AtenCapabilityVariable);
        if (string.IsNullOrEmpty(isa) && string.IsNullOrEmpty(aten)) return "auto";
        if (!string.IsNullOrEmpty(isa) && !OneDnnIsa.IsKnown(isa))
            throw new InputException($"{OneDnnIsaVariable}={isa}: not a oneDNN ISA ffn knows ({string.Join(", ", OneDnnIsa.Levels.Select(l => l.Name))})");
        if (!string.IsNullOrEmpty(aten) && !KernelConfig.AtenLevels.Contains(aten.ToLowerInvariant()))
            throw new InputException($"{AtenCapabilityVariable}={aten}: expected one of {string.Join(", ", KernelConfig.AtenLevels)}");
        return new KernelConfig(string.IsNullOrEmpty(isa) ? null : OneDnnIsa.Canonical(isa), true,
            string.IsNullOrEmpty(aten) ? null : aten.ToLowerInvariant()).Name;
    }

    /// <summary>
    /// Decides the configuration without applying it: from the cache (auto mode), or by running
    /// <paramref name="probe"/> on candidates. <paramref name="path"/> is the verdict file (null when not checked).
    /// </summary>
    public static KernelVerdict Resolve(KernelGuardOptions o, Func<KernelConfig, KernelProbeReport> probe, Action<string> log, out string? path)
    {
        path = null;
        var cpu = CpuInfo.Get();
        var baseVerdict = new KernelVerdict
        {
            Chosen = o.Requested == "auto" ? KernelConfig.Default.Name : o.Requested,
            Requested = o.Requested,
            Reason = "self-check off",
            Source = "not-checked",
            CpuModel = cpu.Model,
            CpuFingerprint = cpu.Fingerprint,
            LibTorchVersion = LibTorch.Version,
            LibTorchBuildId = LibTorch.BuildId,
        };
        if (o.Mode == SelfCheckMode.Never) return baseVerdict;

        var cache = new KernelVerdictCache(o.CacheDirectory is { Length: > 0 } d ? d : KernelVerdictCache.DefaultDirectory);
        var key = KernelVerdictCache.Key(cpu, baseVerdict.LibTorchVersion, baseVerdict.LibTorchBuildId, o.Requested);
        path = cache.PathFor(key);
        if (o.Mode == SelfCheckMode.Auto && cache.Read(key) is { } hit && hit.CheckVersion == KernelSelfCheck.Version && hit.Requested == o.Requested)
            return hit with { Source = "cache" };

        var probes = new List<KernelProbeReport>();
        KernelVerdict verdict;
        if (o.Requested != "auto")
        {
            var report = probe(KernelConfig.Parse(o.Requested));
            probes.Add(report);
            verdict = baseVerdict with { Reason = report.Passed ? "requested; passes the self-check" : "requested; FAILS the self-check", Source = "checked", Probes = probes };
            if (!report.Passed)
                log($"ffn: warning: kernel self-check: the requested CPU kernels give wrong results on this CPU ({report.Summary}); training and inference may be wrong");
        }
        else
        {
            KernelConfig? chosen = null;
            foreach (var candidate in Candidates(cpu, probes))
            {
                var report = probe(candidate);
                probes.Add(report);
                if (report.Passed)
                {
                    chosen = candidate;
                    break;
                }
            }
            if (chosen is null)
                throw new KernelCheckException($"kernel self-check: no CPU kernel configuration computes the network correctly on {cpu.Model} " +
                    $"({probes[0].Summary}); run `ffn doctor` for details, or give --self-check never to run anyway");
            var fallback = chosen != KernelConfig.Default;
            verdict = baseVerdict with
            {
                Chosen = chosen.Name,
                Reason = fallback ? $"libtorch's default kernels fail ({probes[0].Summary}); {chosen.Name} is the fastest that passes" : "libtorch's default kernels pass",
                Source = "checked",
                Probes = probes,
            };
        }

        bool cached = cache.TryWrite(key, verdict, out var problem);
        if (!cached) log($"ffn: warning: cannot cache the kernel self-check in {cache.Directory} ({problem}); it will run again at the next start");
        var where = cached ? $"recorded in {path}" : "not recorded";
        if (verdict.DefaultFailed && verdict.Requested == "auto")
            log($"ffn: kernel self-check: libtorch's default CPU kernels give wrong results on this CPU ({probes[0].Summary}); using {verdict.Chosen} instead ({where})");
        else
            log($"ffn: kernel self-check: {verdict.Chosen} CPU kernels {(probes[^1].Passed ? "pass" : "FAIL")} on {cpu.Model} ({probes.Sum(p => p.WallSeconds):F1} s; {where})");
        return verdict;
    }

    /// <summary>
    /// Configurations to try in order, default first. When the default's convolutions were right and only ATen's
    /// element-wise kernels were wrong, capping ATen comes before giving up oneDNN's faster convolutions.
    /// </summary>
    public static IEnumerable<KernelConfig> Candidates(CpuInfo cpu, IReadOnlyList<KernelProbeReport> tried)
    {
        yield return KernelConfig.Default;
        var first = tried[0];
        bool convolutionsRight = first.Error is null && first.Cases.Where(c => c.Name.StartsWith("conv3d", StringComparison.Ordinal)).All(c => c.Passed);
        var caps = OneDnnIsa.Supported(cpu).Reverse().Select(l => new KernelConfig(l)).Append(new KernelConfig(OneDnn: false));
        KernelConfig[] aten =
        [
            new(AtenCapability: "avx2"), new(OneDnn: false, AtenCapability: "avx2"), new(OneDnn: false, AtenCapability: "default"),
        ];
        foreach (var c in convolutionsRight ? aten.Concat(caps) : caps.Concat(aten)) yield return c;
    }
}
