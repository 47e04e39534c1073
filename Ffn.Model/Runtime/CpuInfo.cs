using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Ffn.Model.Runtime;

/// <summary>What identifies this CPU for kernel choices: model, family/model/stepping, microcode and ISA flags.</summary>
public sealed record CpuInfo(string Model, string Vendor, string Family, string ModelNumber, string Stepping, string Microcode, IReadOnlySet<string> Flags, int LogicalCores)
{
    private static readonly Lazy<CpuInfo> Current = new(Read);

    public static CpuInfo Get() => Current.Value;

    /// <summary>A short stable fingerprint: two machines with the same value run the same kernels.</summary>
    public string Fingerprint
    {
        get
        {
            var text = string.Join('|', Model, Vendor, Family, ModelNumber, Stepping, Microcode, string.Join(' ', Flags.Order(StringComparer.Ordinal)));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    /// <summary>The AVX-512 and AVX flags, the ones that decide which kernels run.</summary>
    public IEnumerable<string> VectorFlags =>
        Flags.Where(f => f.StartsWith("avx", StringComparison.Ordinal) || f.StartsWith("amx", StringComparison.Ordinal)
                         || f is "fma" or "sse4_1" or "sse4_2" or "f16c").Order(StringComparer.Ordinal);

    private static CpuInfo Read()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path))
            return new CpuInfo(RuntimeInformation.ProcessArchitecture.ToString(), "", "", "", "", "", new HashSet<string>(), Environment.ProcessorCount);
        // The first processor's block describes the model; the count of blocks is the logical core count.
        string model = "", vendor = "", family = "", number = "", stepping = "", microcode = "";
        var flags = new HashSet<string>(StringComparer.Ordinal);
        int cores = 0;
        foreach (var line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key == "processor") cores++;
            if (cores > 1) continue;
            switch (key)
            {
                case "model name": model = value; break;
                case "vendor_id": vendor = value; break;
                case "cpu family": family = value; break;
                case "model": number = value; break;
                case "stepping": stepping = value; break;
                case "microcode": microcode = value; break;
                case "flags": flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)); break;
            }
        }
        return new CpuInfo(model, vendor, family, number, stepping, microcode, flags, Math.Max(cores, 1));
    }
}
