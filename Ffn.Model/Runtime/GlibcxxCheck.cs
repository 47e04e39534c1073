using System.Buffers.Binary;
using System.Text;

namespace Ffn.Model.Runtime;

/// <summary>
/// Whether the build's fix for TorchSharp's GLIBCXX_3.4.32 need is in place: does the system libstdc++ provide the
/// version, and is the need marked weak (VER_FLG_WEAK) in the libLibTorchSharp.so next to the build output.
/// </summary>
public static class GlibcxxCheck
{
    public const string Version = "GLIBCXX_3.4.32";
    private static readonly string[] LibStdCxx =
        ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6"];

    public sealed record Result(string? SystemLibrary, bool SystemProvides, string? TorchSharpLibrary, bool? NeedPresent, bool? NeedWeak)
    {
        public string Summary =>
            SystemProvides ? $"not needed ({SystemLibrary} provides {Version})"
            : NeedPresent is null ? "libLibTorchSharp.so not found"
            : NeedPresent == false ? $"not needed (libLibTorchSharp.so does not ask for {Version})"
            : NeedWeak == true ? $"applied ({Version} marked weak in {TorchSharpLibrary})"
            : $"MISSING ({TorchSharpLibrary} needs {Version}, which {SystemLibrary ?? "the system libstdc++"} lacks)";
    }

    public static Result Check(string? torchSharpLibrary)
    {
        var sys = LibStdCxx.FirstOrDefault(File.Exists);
        bool provides = sys is not null && Contains(File.ReadAllBytes(sys), Encoding.ASCII.GetBytes(Version + "\0"));
        if (torchSharpLibrary is null || !File.Exists(torchSharpLibrary)) return new Result(sys, provides, torchSharpLibrary, null, null);
        var flags = NeedFlags(File.ReadAllBytes(torchSharpLibrary), Version);
        return new Result(sys, provides, torchSharpLibrary, flags is not null, flags is { } f ? (f & 2) != 0 : null);
    }

    /// <summary>vna_flags of the named entry in the SHT_GNU_verneed section of an ELF64 image, or null.</summary>
    public static ushort? NeedFlags(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[4] != 2 || elf[5] != 1) return null;
        var b = elf.AsSpan();
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(b[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3A..]), shnum = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3C..]);
        var name = Encoding.ASCII.GetBytes(version + "\0");
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + (long)i * shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(b[(sh + 4)..]) != 0x6ffffffe) continue; // SHT_GNU_verneed
            long vn = BinaryPrimitives.ReadInt64LittleEndian(b[(sh + 0x18)..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(b[(sh + 0x28)..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(b[(sh + 0x2C)..]);
            long strings = BinaryPrimitives.ReadInt64LittleEndian(b[((int)(shoff + (long)link * shentsize) + 0x18)..]);
            for (int n = 0; n < count; n++)
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(b[((int)vn + 2)..]);
                long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(b[((int)vn + 8)..]);
                for (int a = 0; a < cnt; a++)
                {
                    long at = strings + BinaryPrimitives.ReadUInt32LittleEndian(b[((int)aux + 8)..]);
                    if (at + name.Length <= b.Length && b.Slice((int)at, name.Length).SequenceEqual(name))
                        return BinaryPrimitives.ReadUInt16LittleEndian(b[((int)aux + 4)..]);
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(b[((int)aux + 12)..]);
                }
                vn += BinaryPrimitives.ReadUInt32LittleEndian(b[((int)vn + 12)..]);
            }
        }
        return null;
    }

    private static bool Contains(byte[] hay, byte[] needle) => hay.AsSpan().IndexOf(needle) >= 0;
}
