namespace Ffn.Model.Volumes;

/// <summary>Numeric conversions between volume element types, following C/NumPy casting.</summary>
internal static class ElementConvert
{
    public static double ToDouble<T>(T v) where T : unmanaged => v switch
    {
        bool b => b ? 1 : 0,
        byte b => b,
        ushort u => u,
        uint u => u,
        ulong u => u,
        int i => i,
        long l => l,
        float f => f,
        double d => d,
        _ => throw new NotSupportedException(typeof(T).Name),
    };

    public static void Convert<TOut>(Volume source, TOut[] dest) where TOut : unmanaged
    {
        switch (source)
        {
            case Volume<byte> v: Map(v.Data, dest); break;
            case Volume<ushort> v: Map(v.Data, dest); break;
            case Volume<uint> v: Map(v.Data, dest); break;
            case Volume<ulong> v: Map(v.Data, dest); break;
            case Volume<int> v: Map(v.Data, dest); break;
            case Volume<long> v: Map(v.Data, dest); break;
            case Volume<float> v: Map(v.Data, dest); break;
            case Volume<double> v: Map(v.Data, dest); break;
            case Volume<bool> v:
                for (long i = 0; i < dest.LongLength; i++) dest[i] = FromDouble<TOut>(v.Data[i] ? 1 : 0);
                break;
            default: throw new NotSupportedException(source.DType.Name());
        }
    }

    private static void Map<TIn, TOut>(TIn[] src, TOut[] dest)
        where TIn : unmanaged, System.Numerics.INumberBase<TIn> where TOut : unmanaged
    {
        if (typeof(TOut) == typeof(bool))
        {
            var b = (bool[])(object)dest;
            for (long i = 0; i < src.LongLength; i++) b[i] = !TIn.IsZero(src[i]);
            return;
        }
        ConvertNumeric(src, dest);
    }

    private static void ConvertNumeric<TIn, TOut>(TIn[] src, TOut[] dest)
        where TIn : unmanaged, System.Numerics.INumberBase<TIn> where TOut : unmanaged
    {
        switch (dest)
        {
            case byte[] d: for (long i = 0; i < src.LongLength; i++) d[i] = byte.CreateTruncating(src[i]); break;
            case ushort[] d: for (long i = 0; i < src.LongLength; i++) d[i] = ushort.CreateTruncating(src[i]); break;
            case uint[] d: for (long i = 0; i < src.LongLength; i++) d[i] = uint.CreateTruncating(src[i]); break;
            case ulong[] d: for (long i = 0; i < src.LongLength; i++) d[i] = ulong.CreateTruncating(src[i]); break;
            case int[] d: for (long i = 0; i < src.LongLength; i++) d[i] = int.CreateTruncating(src[i]); break;
            case long[] d: for (long i = 0; i < src.LongLength; i++) d[i] = long.CreateTruncating(src[i]); break;
            case float[] d: for (long i = 0; i < src.LongLength; i++) d[i] = float.CreateTruncating(src[i]); break;
            case double[] d: for (long i = 0; i < src.LongLength; i++) d[i] = double.CreateTruncating(src[i]); break;
            default: throw new NotSupportedException(typeof(TOut).Name);
        }
    }

    private static TOut FromDouble<TOut>(double v) where TOut : unmanaged
    {
        var one = new[] { v };
        var r = new TOut[1];
        if (typeof(TOut) == typeof(bool)) ((bool[])(object)r)[0] = v != 0;
        else ConvertNumeric(one, r);
        return r[0];
    }
}
