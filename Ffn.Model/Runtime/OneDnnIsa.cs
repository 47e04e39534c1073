namespace Ffn.Model.Runtime;

/// <summary>
/// The instruction-set levels oneDNN can be capped at (its ONEDNN_MAX_CPU_ISA values), lowest first, with the CPU
/// flags (as /proc/cpuinfo names them) each one needs.
/// </summary>
public static class OneDnnIsa
{
    public sealed record Level(string Name, string[] Flags);

    public static IReadOnlyList<Level> Levels { get; } =
    [
        new("SSE41", ["sse4_1"]),
        new("AVX", ["avx"]),
        new("AVX2", ["avx2", "fma"]),
        new("AVX2_VNNI", ["avx2", "fma", "avx_vnni"]),
        new("AVX2_VNNI_2", ["avx2", "fma", "avx_vnni", "avx_vnni_int8", "avx_ne_convert"]),
        new("AVX512_CORE", ["avx512f", "avx512bw", "avx512vl", "avx512dq"]),
        new("AVX512_CORE_VNNI", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"]),
        new("AVX512_CORE_BF16", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"]),
        new("AVX512_CORE_FP16", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "avx512_fp16"]),
        new("AVX512_CORE_AMX", ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16"]),
    ];

    /// <summary>The levels this CPU can run, lowest first (empty where the flags are unknown).</summary>
    public static IReadOnlyList<string> Supported(CpuInfo cpu) =>
        [.. Levels.Where(l => l.Flags.All(cpu.Flags.Contains)).Select(l => l.Name)];

    public static bool IsKnown(string name) => Levels.Any(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Canonical(string name) =>
        Levels.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase))?.Name
        ?? throw new ArgumentException($"unknown oneDNN ISA {name}");
}
