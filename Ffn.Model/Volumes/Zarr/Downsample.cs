using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// One pyramid step, 2x2x2 voxels to one (an odd edge keeps its last cell of 1 voxel along that axis). Images take
/// the mean of the cell, rounded to the nearest value for integer types; label volumes take the first non-zero
/// label of the cell in z, y, x order (0 only where the whole cell is 0): stable, no ties to break, and every
/// object that fills a whole cell keeps its id.
/// </summary>
public static class Downsample
{
    public enum Rule { Mean, FirstNonZero }

    public static Vec3i HalfShape(Vec3i s) => new((s.Z + 1) / 2, (s.Y + 1) / 2, (s.X + 1) / 2);

    /// <summary>Downsamples <paramref name="v"/>, which must start at an even position; the result is placed at half of it.</summary>
    public static Volume Apply(Volume v, Rule rule)
    {
        if (v.Offset.Z % 2 != 0 || v.Offset.Y % 2 != 0 || v.Offset.X % 2 != 0)
            throw new ArgumentException($"a 2x2x2 downsampling needs an even offset, got {v.Offset}");
        var outShape = HalfShape(v.Shape);
        var offset = new Vec3i(v.Offset.Z / 2, v.Offset.Y / 2, v.Offset.X / 2);
        switch (v, rule)
        {
            case (Volume<uint> u, Rule.FirstNonZero): return FirstNonZero(u, outShape, offset);
            case (Volume<ulong> u, Rule.FirstNonZero): return FirstNonZero(u, outShape, offset);
            case (Volume<byte> b, Rule.Mean): return MeanOfBytes(b, outShape, offset);
        }
        var result = Volume.Create(v.DType, outShape, offset);
        var s = v.Shape;
        Parallel.For(0, outShape.Z, z =>
        {
            for (int y = 0; y < outShape.Y; y++)
            for (int x = 0; x < outShape.X; x++)
            {
                double sum = 0, first = 0;
                int n = 0;
                for (int dz = 0; dz < 2 && 2 * z + dz < s.Z; dz++)
                for (int dy = 0; dy < 2 && 2 * y + dy < s.Y; dy++)
                for (int dx = 0; dx < 2 && 2 * x + dx < s.X; dx++)
                {
                    double value = v.GetDouble(v.Index(2 * z + dz, 2 * y + dy, 2 * x + dx));
                    sum += value;
                    n++;
                    if (first == 0) first = value;
                }
                Set(result, result.Index(z, y, x), rule == Rule.Mean ? sum / n : first);
            }
        });
        return result;
    }

    // Label ids stay integers (a double would round ids above 2^53); the cell is visited in z, y, x order.
    private static Volume<T> FirstNonZero<T>(Volume<T> v, Vec3i outShape, Vec3i offset) where T : unmanaged, IEquatable<T>
    {
        var result = new Volume<T>(outShape, offset);
        var s = v.Shape;
        Parallel.For(0, outShape.Z, z =>
        {
            for (int y = 0; y < outShape.Y; y++)
            for (int x = 0; x < outShape.X; x++)
            {
                T first = default;
                for (int dz = 0; dz < 2 && 2 * z + dz < s.Z; dz++)
                for (int dy = 0; dy < 2 && 2 * y + dy < s.Y; dy++)
                {
                    long row = v.Index(2 * z + dz, 2 * y + dy, 2 * x);
                    for (int dx = 0; dx < 2 && 2 * x + dx < s.X; dx++)
                    {
                        var value = v.Data[row + dx];
                        if (first.Equals(default) && !value.Equals(default)) first = value;
                    }
                }
                result.Data[result.Index(z, y, x)] = first;
            }
        });
        return result;
    }

    private static Volume<byte> MeanOfBytes(Volume<byte> v, Vec3i outShape, Vec3i offset)
    {
        var result = new Volume<byte>(outShape, offset);
        var s = v.Shape;
        Parallel.For(0, outShape.Z, z =>
        {
            for (int y = 0; y < outShape.Y; y++)
            for (int x = 0; x < outShape.X; x++)
            {
                int sum = 0, n = 0;
                for (int dz = 0; dz < 2 && 2 * z + dz < s.Z; dz++)
                for (int dy = 0; dy < 2 && 2 * y + dy < s.Y; dy++)
                {
                    long row = v.Index(2 * z + dz, 2 * y + dy, 2 * x);
                    for (int dx = 0; dx < 2 && 2 * x + dx < s.X; dx++)
                    {
                        sum += v.Data[row + dx];
                        n++;
                    }
                }
                // Round half to even, as the double path (and NumPy's np.round) does.
                result.Data[result.Index(z, y, x)] = (byte)Math.Round((double)sum / n, MidpointRounding.ToEven);
            }
        });
        return result;
    }

    private static void Set(Volume v, long i, double value)
    {
        switch (v)
        {
            case Volume<byte> b: b.Data[i] = (byte)Math.Round(value, MidpointRounding.ToEven); break;
            case Volume<ushort> b: b.Data[i] = (ushort)Math.Round(value, MidpointRounding.ToEven); break;
            case Volume<uint> b: b.Data[i] = (uint)Math.Round(value, MidpointRounding.ToEven); break;
            case Volume<ulong> b: b.Data[i] = (ulong)Math.Round(value, MidpointRounding.ToEven); break;
            case Volume<int> b: b.Data[i] = (int)Math.Round(value, MidpointRounding.ToEven); break;
            case Volume<long> b: b.Data[i] = (long)Math.Round(value, MidpointRounding.ToEven); break;
            case Volume<float> b: b.Data[i] = (float)value; break;
            case Volume<double> b: b.Data[i] = value; break;
            default: throw new ArgumentException($"cannot downsample {v.DType.Name()}");
        }
    }
}
