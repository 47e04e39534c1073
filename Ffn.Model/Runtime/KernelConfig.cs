namespace Ffn.Model.Runtime;

/// <summary>
/// Which CPU kernels libtorch may use: oneDNN capped at an instruction set (null = its own choice) or not used at
/// all, and ATen's own vectorized kernels capped (null = libtorch's choice). Written as a name such as
/// <c>default</c>, <c>onednn-isa=AVX2</c>, <c>onednn=off</c> or <c>onednn=off+aten=avx2</c>.
/// </summary>
public sealed record KernelConfig(string? OneDnnIsa = null, bool OneDnn = true, string? AtenCapability = null)
{
    public static readonly KernelConfig Default = new();

    /// <summary>ATen's capability levels (its ATEN_CPU_CAPABILITY values), highest first.</summary>
    public static readonly string[] AtenLevels = ["avx512", "avx2", "default"];

    public string Name
    {
        get
        {
            var parts = new List<string>();
            if (!OneDnn) parts.Add("onednn=off");
            else if (OneDnnIsa is not null) parts.Add($"onednn-isa={OneDnnIsa}");
            if (AtenCapability is not null) parts.Add($"aten={AtenCapability}");
            return parts.Count == 0 ? "default" : string.Join('+', parts);
        }
    }

    public override string ToString() => Name;

    /// <summary>Parses a <see cref="Name"/>; also accepts a bare oneDNN ISA (AVX2) and <c>off</c>.</summary>
    public static KernelConfig Parse(string text)
    {
        var t = text.Trim();
        if (t.Equals("default", StringComparison.OrdinalIgnoreCase)) return Default;
        if (t.Equals("off", StringComparison.OrdinalIgnoreCase)) return new KernelConfig(OneDnn: false);
        if (Runtime.OneDnnIsa.IsKnown(t)) return new KernelConfig(Runtime.OneDnnIsa.Canonical(t));
        var c = Default;
        foreach (var part in t.Split('+'))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2) throw new FormatException($"'{part}' is not key=value");
            var (key, value) = (kv[0].Trim().ToLowerInvariant(), kv[1].Trim());
            c = key switch
            {
                "onednn" when value.Equals("off", StringComparison.OrdinalIgnoreCase) => c with { OneDnn = false },
                "onednn" when value.Equals("on", StringComparison.OrdinalIgnoreCase) => c with { OneDnn = true },
                "onednn-isa" when Runtime.OneDnnIsa.IsKnown(value) => c with { OneDnnIsa = Runtime.OneDnnIsa.Canonical(value) },
                "aten" when AtenLevels.Contains(value.ToLowerInvariant()) => c with { AtenCapability = value.ToLowerInvariant() },
                _ => throw new FormatException($"unknown kernel setting '{part}' (expected default, off, a oneDNN ISA such as AVX2, onednn=off, onednn-isa=ISA or aten={string.Join('|', AtenLevels)})"),
            };
        }
        return c;
    }
}
