using System.Runtime.InteropServices;
using System.Text.Json;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.DataPrep;

/// <summary>
/// Training centres as written by <see cref="CoordinateBuilder"/> (or FFN-PyTorch's build_coordinates.py): the rows of
/// COORDS.npy, turned from (x, y, z) into (z, y, x), and, when the sidecars COORDS.volumes.npy / .json exist, the
/// volume each row belongs to. Without sidecars every row belongs to the single volume the trainer is given, and
/// <see cref="VolumeNames"/> is empty.
/// </summary>
public sealed class TrainingCoordinates
{
    private readonly int[] _z, _y, _x;
    private readonly int[]? _volume;

    private TrainingCoordinates(int[] z, int[] y, int[] x, int[]? volume, IReadOnlyList<string> names)
    {
        _z = z;
        _y = y;
        _x = x;
        _volume = volume;
        VolumeNames = names;
    }

    public int Count => _z.Length;

    /// <summary>Names of the volumes, indexed by <see cref="VolumeIndex"/>; empty for a single-volume file.</summary>
    public IReadOnlyList<string> VolumeNames { get; }

    /// <summary>Row <paramref name="i"/> as a (z, y, x) voxel position in its volume.</summary>
    public Vec3i this[int i] => new(_z[i], _y[i], _x[i]);

    /// <summary>Index into <see cref="VolumeNames"/> of row <paramref name="i"/>; 0 for a single-volume file.</summary>
    public int VolumeIndex(int i) => _volume?[i] ?? 0;

    /// <exception cref="InputException">not an integer [N, 3] .npy, negative or out-of-range values, or sidecars
    /// that are missing one half, disagree in length, or name no such volume.</exception>
    public static TrainingCoordinates Load(string path)
    {
        var header = NpyFile.ReadHeader(path);
        if (header.Shape.Length != 2 || header.Shape[1] != 3 || header.DType is not (DType.Int64 or DType.Int32))
            throw new InputException($"{path}: expected an int64 array of shape (N, 3) (x, y, z rows), found {header.DType.Name()} ({string.Join(", ", header.Shape)})");
        long n = header.Shape[0];
        if (n > Array.MaxLength) throw new InputException($"{path}: {n} rows exceed one array");
        int[] z = new int[n], y = new int[n], x = new int[n];
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            fs.Position = header.DataOffset;
            const int block = 1 << 16;
            int es = header.DType.Size();
            var buf = new byte[block * 3 * es];
            for (int i = 0; i < n; i += block)
            {
                int rows = (int)Math.Min(block, n - i);
                var bytes = buf.AsSpan(0, rows * 3 * es);
                fs.ReadExactly(bytes);
                for (int r = 0; r < rows; r++)
                {
                    long cx = Value(bytes, 3 * r, es), cy = Value(bytes, 3 * r + 1, es), cz = Value(bytes, 3 * r + 2, es);
                    if (cx < 0 || cy < 0 || cz < 0 || cx > int.MaxValue || cy > int.MaxValue || cz > int.MaxValue)
                        throw new InputException($"{path}: row {i + r} ({cx}, {cy}, {cz}) is not a voxel position");
                    (x[i + r], y[i + r], z[i + r]) = ((int)cx, (int)cy, (int)cz);
                }
            }
        }

        string indexPath = CoordinateBuilder.VolumeIndexPath(path), namesPath = CoordinateBuilder.VolumeNamesPath(path);
        bool hasIndex = File.Exists(indexPath), hasNames = File.Exists(namesPath);
        if (!hasIndex && !hasNames) return new TrainingCoordinates(z, y, x, null, []);
        if (hasIndex != hasNames)
            throw new InputException($"{path}: found {(hasIndex ? indexPath : namesPath)} without {(hasIndex ? namesPath : indexPath)}; rebuild the coordinates");
        string[] names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(File.ReadAllText(namesPath)) ?? [];
        }
        catch (JsonException e)
        {
            throw new InputException($"{namesPath}: not a JSON list of volume names ({e.Message.Split('\n')[0]})", e);
        }
        var index = NpyFile.Read(indexPath);
        if (index.DType != DType.Int32 || index.Rank != 1 || index.Count != n)
            throw new InputException($"{indexPath}: expected int32 ({n},) to match {path}, found {index.DType.Name()} {index.ShapeText}");
        var volume = index.Get<int>();
        foreach (var v in volume)
            if ((uint)v >= (uint)names.Length)
                throw new InputException($"{indexPath}: volume index {v} but {namesPath} names {names.Length} volumes");
        return new TrainingCoordinates(z, y, x, volume, names);
    }

    private static long Value(ReadOnlySpan<byte> bytes, int index, int size) => size == 8
        ? MemoryMarshal.Read<long>(bytes[(index * 8)..])
        : MemoryMarshal.Read<int>(bytes[(index * 4)..]);
}
