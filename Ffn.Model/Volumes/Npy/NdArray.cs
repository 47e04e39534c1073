using System.Runtime.InteropServices;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Npy;

/// <summary>An n-dimensional C-order array as NumPy stores it: coordinates (N x 3), network tensors, volumes.</summary>
public sealed class NdArray
{
    public NdArray(Array data, long[] shape)
    {
        DType = DTypes.Of(data.GetType().GetElementType()!);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (data.LongLength != count)
            throw new ArgumentException($"data holds {data.LongLength} elements, shape ({string.Join(", ", shape)}) needs {count}");
        Data = data;
        Shape = shape;
    }

    public static NdArray Create<T>(T[] data, params long[] shape) where T : unmanaged => new(data, shape);

    public static NdArray Allocate(DType dtype, long[] shape) =>
        new(Array.CreateInstance(dtype.ClrType(), shape.Aggregate(1L, (a, b) => a * b)), shape);

    public DType DType { get; }
    public long[] Shape { get; }
    public Array Data { get; }
    public int Rank => Shape.Length;
    public long Count => Data.LongLength;

    public T[] Get<T>() where T : unmanaged =>
        Data as T[] ?? throw new InvalidDataException($"expected {DTypes.Of<T>().Name()} data, found {DType.Name()}");

    public Span<byte> Bytes => DType switch
    {
        DType.Bool => MemoryMarshal.AsBytes(((bool[])Data).AsSpan()),
        DType.UInt8 => ((byte[])Data).AsSpan(),
        DType.UInt16 => MemoryMarshal.AsBytes(((ushort[])Data).AsSpan()),
        DType.UInt32 => MemoryMarshal.AsBytes(((uint[])Data).AsSpan()),
        DType.UInt64 => MemoryMarshal.AsBytes(((ulong[])Data).AsSpan()),
        DType.Int32 => MemoryMarshal.AsBytes(((int[])Data).AsSpan()),
        DType.Int64 => MemoryMarshal.AsBytes(((long[])Data).AsSpan()),
        DType.Float32 => MemoryMarshal.AsBytes(((float[])Data).AsSpan()),
        DType.Float64 => MemoryMarshal.AsBytes(((double[])Data).AsSpan()),
        _ => throw new NotSupportedException(DType.Name()),
    };

    public string ShapeText => "(" + string.Join(", ", Shape) + ")";

    /// <summary>Views a rank-3 array as a (z, y, x) volume sharing the same data.</summary>
    public Volume ToVolume(string source)
    {
        if (Rank != 3) throw new VolumeException($"{source}: expected a 3D (z, y, x) array, found shape {ShapeText}");
        var shape = new Vec3i(checked((int)Shape[0]), checked((int)Shape[1]), checked((int)Shape[2]));
        return DType switch
        {
            DType.Bool => new Volume<bool>((bool[])Data, shape),
            DType.UInt8 => new Volume<byte>((byte[])Data, shape),
            DType.UInt16 => new Volume<ushort>((ushort[])Data, shape),
            DType.UInt32 => new Volume<uint>((uint[])Data, shape),
            DType.UInt64 => new Volume<ulong>((ulong[])Data, shape),
            DType.Int32 => new Volume<int>((int[])Data, shape),
            DType.Int64 => new Volume<long>((long[])Data, shape),
            DType.Float32 => new Volume<float>((float[])Data, shape),
            DType.Float64 => new Volume<double>((double[])Data, shape),
            _ => throw new NotSupportedException(DType.Name()),
        };
    }

    public static NdArray FromVolume(Volume v) =>
        new(VolumeData(v), [v.Shape.Z, v.Shape.Y, v.Shape.X]);

    private static Array VolumeData(Volume v) => v switch
    {
        Volume<bool> b => b.Data,
        Volume<byte> b => b.Data,
        Volume<ushort> b => b.Data,
        Volume<uint> b => b.Data,
        Volume<ulong> b => b.Data,
        Volume<int> b => b.Data,
        Volume<long> b => b.Data,
        Volume<float> b => b.Data,
        Volume<double> b => b.Data,
        _ => throw new NotSupportedException(v.DType.Name()),
    };
}
