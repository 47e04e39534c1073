using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BitMiracle.LibTiff.Classic;
using Microsoft.Win32.SafeHandles;
using LibTiff = BitMiracle.LibTiff.Classic.Tiff;

namespace Ffn.Model.Volumes.Tiff;

/// <summary>What the TIFF reader and writer share: libtiff's error reporting, the dtype mapping, the IFD chain.</summary>
internal static class TiffLib
{
    [ThreadStatic] private static string? lastError;

    static TiffLib() => LibTiff.SetErrorHandler(new Handler());

    /// <summary>Installs the handler (once); call before any libtiff call whose errors should reach our messages.</summary>
    public static void Init() { }

    /// <summary>The last libtiff error on this thread since the previous call (libtiff reports errors through a
    /// process-wide callback, and always on the calling thread).</summary>
    public static string TakeError()
    {
        var e = lastError;
        lastError = null;
        return e ?? "unknown libtiff error";
    }

    public static void ClearError() => lastError = null;

    // libtiff's default handler prints to stderr; we fold errors into VolumeException messages and drop the
    // warnings (tifffile's private tags would otherwise print "unknown field" noise for every page).
    private sealed class Handler : TiffErrorHandler
    {
        public override void ErrorHandler(LibTiff tif, string method, string format, params object[] args) =>
            lastError = (args.Length == 0 ? format : string.Format(format, args)).ReplaceLineEndings(" ");

        public override void WarningHandler(LibTiff tif, string method, string format, params object[] args) { }
    }

    public static (SampleFormat Format, int Bits)? Layout(DType t) => t switch
    {
        DType.UInt8 => (SampleFormat.UINT, 8),
        DType.UInt16 => (SampleFormat.UINT, 16),
        DType.UInt32 => (SampleFormat.UINT, 32),
        DType.UInt64 => (SampleFormat.UINT, 64),
        DType.Int32 => (SampleFormat.INT, 32),
        DType.Int64 => (SampleFormat.INT, 64),
        DType.Float32 => (SampleFormat.IEEEFP, 32),
        DType.Float64 => (SampleFormat.IEEEFP, 64),
        _ => null,
    };

    public static DType? DTypeOf(SampleFormat format, int bits)
    {
        // VOID ("undefined") is how some writers mark plain unsigned data.
        if (format == SampleFormat.VOID) format = SampleFormat.UINT;
        foreach (var t in Enum.GetValues<DType>())
            if (Layout(t) is { } l && l.Format == format && l.Bits == bits) return t;
        return null;
    }

    public static string Describe(SampleFormat format, int bits) => format switch
    {
        SampleFormat.UINT or SampleFormat.VOID => $"uint{bits}",
        SampleFormat.INT => $"int{bits}",
        SampleFormat.IEEEFP => $"float{bits}",
        _ => $"{format.ToString().ToLowerInvariant()} {bits}-bit",
    };

    /// <summary>
    /// The file offsets of all top-level IFDs (one per page), in order. We walk the chain ourselves because
    /// libtiff's directory walk counts pages in a 16-bit field and rescans its loop list for every page.
    /// </summary>
    public static List<long> PageOffsets(string path)
    {
        using var h = File.OpenHandle(path);
        long length = RandomAccess.GetLength(h);
        Span<byte> head = stackalloc byte[16];
        if (Read(h, head, 0) < 8) throw new VolumeException($"{path}: not a TIFF file (too short)");
        bool be = head[0] == 'M' && head[1] == 'M';
        if (!be && !(head[0] == 'I' && head[1] == 'I')) throw new VolumeException($"{path}: not a TIFF file (bad magic)");
        ushort U16(ReadOnlySpan<byte> b) => be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
        uint U32(ReadOnlySpan<byte> b) => be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
        ulong U64(ReadOnlySpan<byte> b) => be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);

        int version = U16(head[2..]);
        bool bigTiff = version == 43;
        if (version != 42 && !bigTiff) throw new VolumeException($"{path}: not a TIFF file (version {version})");
        ulong next = bigTiff ? U64(head[8..]) : U32(head[4..]);
        var offsets = new List<long>();
        var seen = new HashSet<ulong>();
        Span<byte> buf = stackalloc byte[8];
        while (next != 0)
        {
            if (next >= (ulong)length || !seen.Add(next))
                throw new VolumeException($"{path}: malformed TIFF (page {offsets.Count} at bad offset {next})");
            long at = (long)next;
            offsets.Add(at);
            int countSize = bigTiff ? 8 : 2, entrySize = bigTiff ? 20 : 12, nextSize = bigTiff ? 8 : 4;
            if (Read(h, buf[..countSize], at) < countSize) throw new VolumeException($"{path}: truncated TIFF directory");
            ulong count = bigTiff ? U64(buf) : U16(buf);
            long nextAt = at + countSize + (long)count * entrySize;
            if (count > 1_000_000 || Read(h, buf[..nextSize], nextAt) < nextSize)
                throw new VolumeException($"{path}: truncated TIFF directory at page {offsets.Count - 1}");
            next = bigTiff ? U64(buf) : U32(buf);
        }
        return offsets;
    }

    private static int Read(SafeFileHandle h, Span<byte> into, long at)
    {
        int total = 0;
        while (total < into.Length)
        {
            int n = RandomAccess.Read(h, into[total..], at + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>
    /// The bytes of elements [start, start+count) of a volume. Per-range rather than Volume.Bytes because a
    /// whole volume's bytes can exceed what one span indexes.
    /// </summary>
    public static Span<byte> ElementBytes(Volume v, long start, int count) => v switch
    {
        Volume<byte> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<ushort> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<uint> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<ulong> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<int> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<long> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<float> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        Volume<double> a => MemoryMarshal.AsBytes(a.Data.AsSpan(checked((int)start), count)),
        _ => throw new NotSupportedException($"TIFF cannot hold {v.DType.Name()} data"),
    };
}
