using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ffn.Model.Volumes.Npy;

/// <summary>
/// The header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0 read; writing picks 1.0 unless the header
/// needs 2.0, as np.save does). Only little-endian C-order arrays of <see cref="DType"/> are supported.
/// </summary>
public sealed partial record NpyHeader(DType DType, long[] Shape, long DataOffset)
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int ArrayAlign = 64;          // numpy >= 1.20 aligns data to 64 bytes
    private const int GrowthAxisMaxDigits = 21; // numpy pads so the first axis can grow in place

    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of array data after the header (<see cref="Read"/> has checked that this does not overflow).</summary>
    public long DataBytes => Count * DType.Size();

    public static string Descr(DType t) => t switch
    {
        DType.Bool => "|b1",
        DType.UInt8 => "|u1",
        DType.UInt16 => "<u2",
        DType.UInt32 => "<u4",
        DType.UInt64 => "<u8",
        DType.Int32 => "<i4",
        DType.Int64 => "<i8",
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    private static DType ParseDescr(string descr, string source)
    {
        if (descr.Length < 3) throw new VolumeException($"{source}: unsupported npy dtype '{descr}'");
        char order = descr[0];
        var kind = descr[1..];
        if (order == '>' && kind is not ("u1" or "i1" or "b1"))
            throw new VolumeException($"{source}: big-endian npy data ('{descr}') is not supported; save it little-endian");
        return kind switch
        {
            "b1" => DType.Bool,
            "u1" => DType.UInt8,
            "u2" => DType.UInt16,
            "u4" => DType.UInt32,
            "u8" => DType.UInt64,
            "i4" => DType.Int32,
            "i8" => DType.Int64,
            "f4" => DType.Float32,
            "f8" => DType.Float64,
            _ => throw new VolumeException(
                $"{source}: unsupported npy dtype '{descr}' (supported: bool, u1, u2, u4, u8, i4, i8, f4, f8)"),
        };
    }

    /// <summary>
    /// Reads and checks the header of a .npy of <paramref name="length"/> bytes (a file, or an .npz member): the header
    /// and the data its shape declares must fit in it, so no caller allocates or seeks by an impossible size.
    /// </summary>
    public static NpyHeader Read(Stream s, string source, long length)
    {
        Span<byte> pre = stackalloc byte[10];
        if (ReadFully(s, pre[..8]) < 8 || !pre[..6].SequenceEqual(Magic))
            throw new VolumeException($"{source}: not a NumPy .npy file");
        int major = pre[6];
        int headerLen;
        int prefix;
        if (major == 1)
        {
            if (ReadFully(s, pre.Slice(8, 2)) < 2) throw new VolumeException($"{source}: truncated npy header");
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(pre.Slice(8, 2));
            prefix = 10;
        }
        else if (major is 2 or 3)
        {
            Span<byte> l = stackalloc byte[4];
            if (ReadFully(s, l) < 4) throw new VolumeException($"{source}: truncated npy header");
            uint declared = BinaryPrimitives.ReadUInt32LittleEndian(l);
            prefix = 12;
            if (declared > length - prefix)
                throw new VolumeException($"{source}: truncated npy header (it declares {declared} bytes, the file has {length - prefix} after the prefix)");
            if (declared > Array.MaxLength) throw new VolumeException($"{source}: malformed npy header (it declares {declared} bytes)");
            headerLen = (int)declared;
        }
        else throw new VolumeException($"{source}: unsupported npy format version {major}.{pre[7]}");

        var hb = new byte[headerLen];
        if (ReadFully(s, hb) < headerLen) throw new VolumeException($"{source}: truncated npy header");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb);

        var descr = DescrRegex().Match(header);
        var fortran = FortranRegex().Match(header);
        var shape = ShapeRegex().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new VolumeException($"{source}: malformed npy header {header.Trim()}");
        if (fortran.Groups[1].Value == "True")
            throw new VolumeException($"{source}: Fortran-order npy arrays are not supported; save with C order");
        var shapeText = $"({shape.Groups[1].Value.Trim()})";
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d.TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
                : throw new VolumeException($"{source}: malformed npy shape {shapeText}"))
            .ToArray();
        if (dims.Any(d => d < 0)) throw new VolumeException($"{source}: npy shape {shapeText} has a negative dimension");
        var h = new NpyHeader(ParseDescr(descr.Groups[1].Value, source), dims, prefix + headerLen);
        long bytes;
        try
        {
            bytes = dims.Aggregate((long)h.DType.Size(), (a, b) => checked(a * b));
        }
        catch (OverflowException)
        {
            throw new VolumeException($"{source}: npy shape {shapeText} is too large (over 2^63 bytes of {h.DType.Name()})");
        }
        if (bytes > length - h.DataOffset)
            throw new VolumeException($"{source}: truncated npy data (shape {shapeText} {h.DType.Name()} needs {bytes} bytes, the file has {Math.Max(0, length - h.DataOffset)} after the header)");
        return h;
    }

    /// <summary>The exact header bytes np.save (NumPy 1.24) writes for this dtype and shape.</summary>
    public static byte[] Encode(DType dtype, long[] shape)
    {
        var shapeRepr = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
        var dict = $"{{'descr': '{Descr(dtype)}', 'fortran_order': False, 'shape': {shapeRepr}, }}";
        if (shape.Length > 0) dict += new string(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        var body = Encoding.Latin1.GetBytes(dict);
        int hlen = body.Length + 1; // + '\n'
        bool v1 = true;
        int pad = ArrayAlign - ((8 + 2 + hlen) % ArrayAlign);
        if (hlen + pad > ushort.MaxValue)
        {
            v1 = false;
            pad = ArrayAlign - ((8 + 4 + hlen) % ArrayAlign);
        }
        var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte(v1 ? (byte)1 : (byte)2);
        ms.WriteByte(0);
        Span<byte> len = stackalloc byte[4];
        if (v1) { BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)(hlen + pad)); ms.Write(len[..2]); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)(hlen + pad)); ms.Write(len); }
        ms.Write(body);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    internal static int ReadFully(Stream s, Span<byte> buf)
    {
        int total = 0;
        while (total < buf.Length)
        {
            int n = s.Read(buf[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
