using System.Buffers.Binary;

namespace Ffn.Model.Runtime;

/// <summary>Reads the GNU build id (the NT_GNU_BUILD_ID note) of a little-endian ELF64 file.</summary>
public static class ElfBuildId
{
    public static string? Read(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            var header = new byte[64];
            if (f.Read(header) != 64 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F' || header[4] != 2 || header[5] != 1)
                return null;
            long phoff = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(0x20));
            int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x36));
            int phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x38));
            var ph = new byte[phentsize];
            for (int i = 0; i < phnum; i++)
            {
                f.Position = phoff + (long)i * phentsize;
                if (f.Read(ph) != phentsize) return null;
                if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != 4) continue; // PT_NOTE
                long offset = BinaryPrimitives.ReadInt64LittleEndian(ph.AsSpan(0x08));
                long size = BinaryPrimitives.ReadInt64LittleEndian(ph.AsSpan(0x20));
                if (size is <= 0 or > 1 << 16) continue;
                var notes = new byte[size];
                f.Position = offset;
                if (f.Read(notes) != size) return null;
                if (FindBuildId(notes) is { } id) return id;
            }
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? FindBuildId(ReadOnlySpan<byte> notes)
    {
        int at = 0;
        while (at + 12 <= notes.Length)
        {
            int nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes[at..]);
            int descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(at + 8)..]);
            int name = at + 12, desc = name + Align4(nameSize);
            if (desc + descSize > notes.Length) return null;
            if (type == 3 && nameSize == 4 && notes.Slice(name, 3).SequenceEqual("GNU"u8))
                return Convert.ToHexStringLower(notes.Slice(desc, descSize));
            at = desc + Align4(descSize);
        }
        return null;
    }

    private static int Align4(int n) => (n + 3) & ~3;
}
