namespace Ffn.Model.Volumes;

/// <summary>Element types of volumes that the file formats exchange (NumPy's names in comments).</summary>
public enum DType
{
    Bool,    // ?  / bool
    UInt8,   // u1
    UInt16,  // u2
    UInt32,  // u4
    UInt64,  // u8
    Int32,   // i4
    Int64,   // i8
    Float32, // f4
    Float64, // f8
}

public static class DTypes
{
    public static int Size(this DType t) => t switch
    {
        DType.Bool or DType.UInt8 => 1,
        DType.UInt16 => 2,
        DType.UInt32 or DType.Int32 or DType.Float32 => 4,
        DType.UInt64 or DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloat(this DType t) => t is DType.Float32 or DType.Float64;

    public static bool IsInteger(this DType t) => !t.IsFloat() && t != DType.Bool;

    /// <summary>The lower-case name NumPy and h5py print (uint8, float32, bool).</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Bool => "bool",
        _ => t.ToString().ToLowerInvariant(),
    };

    public static DType Of<T>() where T : unmanaged => Of(typeof(T));

    public static DType Of(Type t)
    {
        if (t == typeof(bool)) return DType.Bool;
        if (t == typeof(byte)) return DType.UInt8;
        if (t == typeof(ushort)) return DType.UInt16;
        if (t == typeof(uint)) return DType.UInt32;
        if (t == typeof(ulong)) return DType.UInt64;
        if (t == typeof(int)) return DType.Int32;
        if (t == typeof(long)) return DType.Int64;
        if (t == typeof(float)) return DType.Float32;
        if (t == typeof(double)) return DType.Float64;
        throw new NotSupportedException($"no volume dtype for CLR type {t.Name}");
    }

    public static Type ClrType(this DType t) => t switch
    {
        DType.Bool => typeof(bool),
        DType.UInt8 => typeof(byte),
        DType.UInt16 => typeof(ushort),
        DType.UInt32 => typeof(uint),
        DType.UInt64 => typeof(ulong),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The smallest unsigned type holding ids up to <paramref name="maxId"/> (google/ffn's reduce_id_bits).</summary>
    public static DType SmallestUnsigned(ulong maxId) =>
        maxId <= byte.MaxValue ? DType.UInt8 : maxId <= ushort.MaxValue ? DType.UInt16
        : maxId <= uint.MaxValue ? DType.UInt32 : DType.UInt64;
}
