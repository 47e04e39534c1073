using System.Buffers.Binary;
using System.Text;

namespace Ffn.Tests.Model.Network;

/// <summary>An independent reader of .gnu.version_r (by section name, not type) to check the build's patch.</summary>
internal static class ElfVersionNeeds
{
    public static ushort? FlagsOf(string path, string version)
    {
        var b = File.ReadAllBytes(path);
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3E));
        long Sec(int i, int field) => shoff + (long)i * shentsize + field;
        long namesOff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)Sec(shstrndx, 0x18)));
        string Str(long off) { int e = (int)off; while (b[e] != 0) e++; return Encoding.ASCII.GetString(b, (int)off, e - (int)off); }
        for (int i = 0; i < shnum; i++)
        {
            if (Str(namesOff + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)Sec(i, 0)))) != ".gnu.version_r") continue;
            long off = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)Sec(i, 0x18)));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)Sec(i, 0x28)));
            long strs = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)Sec(link, 0x18)));
            long vn = off;
            while (true)
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)vn + 2));
                long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 8));
                for (int a = 0; a < cnt; a++)
                {
                    if (Str(strs + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 8))) == version)
                        return BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)aux + 4));
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 12));
                }
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)vn + 12));
                if (next == 0) break;
                vn += next;
            }
        }
        return null;
    }
}
