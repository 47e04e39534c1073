namespace Ffn.Model.Runtime;

/// <summary>
/// What the guard is asked for: when to check, which kernels ("auto" = the self-check's choice), where to cache, and
/// for what (training, the default, needs every case right; inference only the forward ones).
/// </summary>
public sealed record KernelGuardOptions
{
    public SelfCheckMode Mode { get; init; } = SelfCheckMode.Auto;
    public string Requested { get; init; } = "auto";
    public string? CacheDirectory { get; init; }
    public KernelPurpose Purpose { get; init; } = KernelPurpose.Training;
}

/// <summary>
/// Chooses and applies this process's CPU kernel configuration before libtorch runs its first kernel. The
/// self-check runs in probe processes (one per configuration tried), because oneDNN fixes its instruction set the
/// first time it runs and a process cannot try a second one. In auto mode the first configuration that passes the
/// cases the purpose needs wins, tried fastest first: libtorch's default, oneDNN capped at each lower instruction set
/// this CPU has, oneDNN off, then ATen's own kernels capped. The verdict is cached per CPU, libtorch build and purpose.
/// </summary>
public static class KernelGuard
{
    public const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA", AtenCapabilityVariable = "ATEN_CPU_CAPABILITY";
    private static readonly Lock Gate = new();

    /// <summary>The user's own caps, read once: after <see cref="Apply"/> the same variables hold this process's choice.</summary>
    private static string? _environmentRequest;

    /// <summary>The verdict this process runs under (null until <see cref="Prepare"/>).</summary>
    public static KernelVerdict? Current { get; private set; }

    /// <summary>Where <see cref="Current"/> was read from or written to, if anywhere.</summary>
    public static string? CachePath { get; private set; }

    public static KernelVerdict Prepare(KernelGuardOptions options, Func<KernelConfig, KernelProbeReport> probe, Action<string> log)
    {
        lock (Gate)
        {
            var requested = EffectiveRequest(options.Requested);
            if (Current is { } current && options.Mode != SelfCheckMode.Always && current.Requested == requested && current.Purpose.Covers(options.Purpose))
                return current;
            var verdict = Resolve(options with { Requested = requested }, probe, log, out var path);
            var runs = Admit(Current, verdict, log);
            if (Current is null) Apply(runs.ChosenConfig);
            if (!ReferenceEquals(runs, Current))
            {
                Current = runs;
                CachePath = path;
            }
            return Current;
        }
    }

    /// <summary>The verdict <see cref="Prepare"/> would reach for <paramref name="options"/>, without applying it.</summary>
    public static KernelVerdict Check(KernelGuardOptions options, Func<KernelConfig, KernelProbeReport> probe, Action<string> log, out string? path)
    {
        lock (Gate) return Resolve(options with { Requested = EffectiveRequest(options.Requested) }, probe, log, out path);
    }

    /// <summary>
    /// The verdict a process that runs <paramref name="current"/>'s kernels (null: none yet) goes on under when a
    /// command needs <paramref name="next"/>. The kernels cannot change once libtorch has run, so a different
    /// choice is a warning where the current kernels were checked for the purpose too (only slower, or not what was
    /// asked for), and an error where they were checked for inference and the command trains: its backward passes
    /// could be wrong.
    /// </summary>
    public static KernelVerdict Admit(KernelVerdict? current, KernelVerdict next, Action<string> log)
    {
        if (current is null) return next;
        if (current.Chosen == next.Chosen) return current.Purpose.Covers(next.Purpose) ? current : next;
        if (!current.Purpose.Covers(next.Purpose))
            throw new InputException($"this process already runs the {current.Chosen} CPU kernels, checked for {current.Purpose.Name()} only; " +
                $"{next.Purpose.Name()} needs {next.Chosen}: run it in a new ffn process");
        log($"ffn: warning: this process already runs the {current.Chosen} CPU kernels; {next.Chosen} would need a new process");
        return current;
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
        return _environmentRequest ??= EnvironmentRequest();
    }

    private static string EnvironmentRequest()
    {
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
        var purpose = o.Purpose;
        var cpu = CpuInfo.Get();
        var baseVerdict = new KernelVerdict
        {
            Chosen = o.Requested == "auto" ? KernelConfig.Default.Name : o.Requested,
            Requested = o.Requested,
            Purpose = purpose,
            Reason = "self-check off",
            Source = "not-checked",
            CpuModel = cpu.Model,
            CpuFingerprint = cpu.Fingerprint,
            LibTorchVersion = LibTorch.Version,
            LibTorchBuildId = LibTorch.BuildId,
        };
        if (o.Mode == SelfCheckMode.Never) return baseVerdict;

        var cache = new KernelVerdictCache(o.CacheDirectory is { Length: > 0 } d ? d : KernelVerdictCache.DefaultDirectory);
        var key = KernelVerdictCache.Key(cpu, baseVerdict.LibTorchVersion, baseVerdict.LibTorchBuildId, o.Requested, purpose);
        path = cache.PathFor(key);
        if (o.Mode == SelfCheckMode.Auto && cache.Read(key) is { } hit && hit.CheckVersion == KernelSelfCheck.Version && hit.Requested == o.Requested
            && hit.Purpose == purpose)
            return hit with { Source = "cache" };

        var probes = new List<KernelProbeReport>();
        KernelVerdict verdict;
        if (o.Requested != "auto")
        {
            var report = probe(KernelConfig.Parse(o.Requested));
            probes.Add(report);
            bool passes = report.PassesFor(purpose);
            verdict = baseVerdict with
            {
                Reason = $"requested; {(passes ? "passes" : "FAILS")} the self-check for {purpose.Name()}", Source = "checked", Probes = probes,
            };
            if (!passes)
                log($"ffn: warning: kernel self-check: the requested CPU kernels give wrong results on this CPU ({report.Summary(purpose)}); " +
                    (purpose == KernelPurpose.Training ? "training and inference may be wrong" : "inference may be wrong"));
        }
        else
        {
            KernelConfig? chosen = null;
            // Stops at the first pass: inference on a CPU whose faults are all in backward kernels probes only the default.
            foreach (var candidate in Candidates(cpu, probes, purpose))
            {
                var report = probe(candidate);
                probes.Add(report);
                if (report.PassesFor(purpose))
                {
                    chosen = candidate;
                    break;
                }
            }
            if (chosen is null)
                throw new KernelCheckException($"kernel self-check: no CPU kernel configuration computes the network correctly on {cpu.Model} " +
                    $"for {purpose.Name()} ({probes[0].Summary(purpose)}); run `ffn doctor` for details, or give --self-check never to run anyway");
            var fallback = chosen != KernelConfig.Default;
            verdict = baseVerdict with
            {
                Chosen = chosen.Name,
                Reason = fallback ? $"libtorch's default kernels fail ({probes[0].Summary(purpose)}); {chosen.Name} is the fastest that passes"
                    : purpose == KernelPurpose.Inference ? "libtorch's default kernels pass the forward cases" : "libtorch's default kernels pass",
                Source = "checked",
                Probes = probes,
            };
        }

        bool cached = cache.TryWrite(key, verdict, out var problem);
        if (!cached) log($"ffn: warning: cannot cache the kernel self-check in {cache.Directory} ({problem}); it will run again at the next start");
        var where = cached ? $"recorded in {path}" : "not recorded";
        if (verdict.DefaultFailed && verdict.Requested == "auto")
            log($"ffn: kernel self-check: libtorch's default CPU kernels give wrong results on this CPU ({probes[0].Summary(purpose)}); " +
                $"using {verdict.Chosen} instead for {purpose.Name()} ({where})");
        else
            log($"ffn: kernel self-check: {verdict.Chosen} CPU kernels {(probes[^1].PassesFor(purpose) ? "pass" : "FAIL")} for {purpose.Name()} on {cpu.Model} " +
                $"({probes.Sum(p => p.WallSeconds):F1} s; {where})");
        return verdict;
    }

    /// <summary>
    /// Configurations to try in order, default first. When the default's convolutions were right (those the purpose
    /// runs) and only ATen's element-wise kernels were wrong, capping ATen comes before giving up oneDNN's faster
    /// convolutions.
    /// </summary>
    public static IEnumerable<KernelConfig> Candidates(CpuInfo cpu, IReadOnlyList<KernelProbeReport> tried, KernelPurpose purpose)
    {
        yield return KernelConfig.Default;
        var first = tried[0];
        bool convolutionsRight = first.Error is null && first.CasesFor(purpose).Where(c => c.Name.StartsWith("conv3d", StringComparison.Ordinal)).All(c => c.Passed);
        var caps = OneDnnIsa.Supported(cpu).Reverse().Select(l => new KernelConfig(l)).Append(new KernelConfig(OneDnn: false));
        KernelConfig[] aten =
        [
            new(AtenCapability: "avx2"), new(OneDnn: false, AtenCapability: "avx2"), new(OneDnn: false, AtenCapability: "default"),
        ];
        foreach (var c in convolutionsRight ? aten.Concat(caps) : caps.Concat(aten)) yield return c;
    }
}
