using System.Runtime.InteropServices;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes;

/// <summary>
/// A dense 3D array in C order (z, y, x), placed at <see cref="Offset"/> in some larger volume. The data is one
/// flat array: index = (z * Y + y) * X + x, so hot loops work on spans, not multidimensional arrays.
/// </summary>
public abstract class Volume
{
    protected Volume(Vec3i shape, Vec3i offset)
    {
        if (shape.Z < 0 || shape.Y < 0 || shape.X < 0) throw new ArgumentException($"negative shape {shape}");
        if (shape.Product > Array.MaxLength)
            throw new ArgumentException($"a block of shape {shape} exceeds one array; process it in smaller blocks");
        Shape = shape;
        Offset = offset;
    }

    public Vec3i Shape { get; }

    /// <summary>Position of element (0,0,0) in the enclosing volume.</summary>
    public Vec3i Offset { get; set; }

    public Box3 Box => new(Offset, Shape);
    public long Length => Shape.Product;
    public abstract DType DType { get; }

    /// <summary>The elements as raw little-endian bytes (this machine's order), for file writers.</summary>
    public abstract Span<byte> Bytes { get; }

    public abstract double GetDouble(long index);

    public long Index(int z, int y, int x) => ((long)z * Shape.Y + y) * Shape.X + x;

    public static Volume Create(DType dtype, Vec3i shape, Vec3i offset = default) => dtype switch
    {
        DType.Bool => new Volume<bool>(shape, offset),
        DType.UInt8 => new Volume<byte>(shape, offset),
        DType.UInt16 => new Volume<ushort>(shape, offset),
        DType.UInt32 => new Volume<uint>(shape, offset),
        DType.UInt64 => new Volume<ulong>(shape, offset),
        DType.Int32 => new Volume<int>(shape, offset),
        DType.Int64 => new Volume<long>(shape, offset),
        DType.Float32 => new Volume<float>(shape, offset),
        DType.Float64 => new Volume<double>(shape, offset),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public Volume<T> As<T>() where T : unmanaged =>
        this as Volume<T> ?? throw new InvalidDataException($"expected {DTypes.Of<T>().Name()} data, found {DType.Name()}");

    /// <summary>Copies the region <paramref name="box"/> (in enclosing-volume coordinates) into a new volume.</summary>
    public abstract Volume Crop(Box3 box);

    /// <summary>Copies the part of <paramref name="source"/> (same dtype) that overlaps this volume into it, whatever the element type.</summary>
    public void PasteBytes(Volume source)
    {
        if (source.DType != DType) throw new ArgumentException($"cannot paste {source.DType.Name()} into {DType.Name()}");
        var overlap = Box.Intersect(source.Box);
        if (overlap.IsEmpty) return;
        int size = DType.Size(), run = overlap.Size.X * size;
        var dst = Bytes;
        var src = source.Bytes;
        var d = overlap.Start - Offset;
        var s = overlap.Start - source.Offset;
        for (int z = 0; z < overlap.Size.Z; z++)
        for (int y = 0; y < overlap.Size.Y; y++)
            src.Slice((int)(source.Index(s.Z + z, s.Y + y, s.X) * size), run).CopyTo(dst.Slice((int)(Index(d.Z + z, d.Y + y, d.X) * size), run));
    }

    /// <summary>Converts every element with C-style numeric conversion (as NumPy's astype).</summary>
    public Volume<TOut> ConvertTo<TOut>() where TOut : unmanaged
    {
        if (this is Volume<TOut> same) return same.Clone();
        var result = new Volume<TOut>(Shape, Offset);
        ElementConvert.Convert(this, result.Data);
        return result;
    }

    public abstract bool ContentEquals(Volume other);
}

public sealed class Volume<T> : Volume where T : unmanaged
{
    public Volume(Vec3i shape, Vec3i offset = default) : base(shape, offset) => Data = new T[shape.Product];

    public Volume(T[] data, Vec3i shape, Vec3i offset = default) : base(shape, offset)
    {
        if (data.LongLength != shape.Product)
            throw new ArgumentException($"data holds {data.LongLength} elements, shape {shape} needs {shape.Product}");
        Data = data;
    }

    public T[] Data { get; }
    public override DType DType => DTypes.Of<T>();
    public override Span<byte> Bytes => MemoryMarshal.AsBytes(Data.AsSpan());

    public ref T this[int z, int y, int x] => ref Data[Index(z, y, x)];

    public ref T this[Vec3i p] => ref Data[Index(p.Z, p.Y, p.X)];

    public Span<T> Row(int z, int y) => Data.AsSpan((int)Index(z, y, 0), Shape.X);

    public override double GetDouble(long index) => ElementConvert.ToDouble(Data[index]);

    public Volume<T> Clone() => new((T[])Data.Clone(), Shape, Offset);

    public override Volume<T> Crop(Box3 box)
    {
        if (!Box.Contains(box)) throw new ArgumentOutOfRangeException(nameof(box), $"{box} is not inside {Box}");
        var result = new Volume<T>(box.Size, box.Start);
        var rel = box.Start - Offset;
        for (int z = 0; z < box.Size.Z; z++)
        for (int y = 0; y < box.Size.Y; y++)
            Row(rel.Z + z, rel.Y + y).Slice(rel.X, box.Size.X).CopyTo(result.Row(z, y));
        return result;
    }

    /// <summary>Copies the part of <paramref name="source"/> that overlaps this volume into it.</summary>
    public void Paste(Volume<T> source)
    {
        var overlap = Box.Intersect(source.Box);
        if (overlap.IsEmpty) return;
        var dst = overlap.Start - Offset;
        var src = overlap.Start - source.Offset;
        for (int z = 0; z < overlap.Size.Z; z++)
        for (int y = 0; y < overlap.Size.Y; y++)
            source.Row(src.Z + z, src.Y + y).Slice(src.X, overlap.Size.X)
                .CopyTo(Row(dst.Z + z, dst.Y + y).Slice(dst.X, overlap.Size.X));
    }

    public override bool ContentEquals(Volume other) =>
        other is Volume<T> o && o.Shape == Shape && Bytes.SequenceEqual(o.Bytes);
}
