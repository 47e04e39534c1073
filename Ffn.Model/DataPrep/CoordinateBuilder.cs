using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.DataPrep;

/// <summary>
/// google/ffn's build_coordinates: training centres drawn so that every partition value is equally common. Per
/// volume the margin is cut off and value 255 skipped; every voxel of each value is taken in a random order and
/// that order is repeated until the value has as many samples as the most common one; all samples are then
/// shuffled together. Deterministic for a seed (google/ffn draws from NumPy's global state instead).
/// </summary>
/// <remarks>
/// Output: <c>COORDS.npy</c>, int64 [N, 3] rows of (x, y, z) in whole-volume coordinates, as FFN-PyTorch's
/// build_coordinates.py saves them. With several volumes, also <c>COORDS.volumes.npy</c> (int32 [N], the volume
/// of each row) and <c>COORDS.volumes.json</c> (the volume names, in that index order); see
/// <see cref="TrainingCoordinates"/>. Memory: one byte per voxel inside the margins, plus 4 bytes per sample
/// (8 beyond 2^32 voxels) for the shuffled sample list; rows are converted and written in a stream.
/// </remarks>
public static class CoordinateBuilder
{
    public const byte Ignore = Partitioner.Excluded;

    public static string VolumeIndexPath(string coordinatesPath) => StripNpy(coordinatesPath) + ".volumes.npy";

    public static string VolumeNamesPath(string coordinatesPath) => StripNpy(coordinatesPath) + ".volumes.json";

    /// <param name="margin">voxels (z, y, x) next to each face that are never sampled; 0 keeps the face.</param>
    /// <exception cref="InputException">a bad or missing volume, float data, values above 255, a margin that
    /// leaves nothing, or no voxel with a value other than 255.</exception>
    public static CoordinateSummary Build(IReadOnlyList<CoordinateSource> sources, Vec3i margin, ulong seed, string output,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        if (sources.Count == 0) throw new ArgumentException("at least one partition volume is required", nameof(sources));
        if (margin.Z < 0 || margin.Y < 0 || margin.X < 0)
            throw new ArgumentException($"margin must be non-negative, got (z,y,x) {margin}", nameof(margin));
        if (!output.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new InputException($"{output}: coordinates are written as .npy (name the file COORDS.npy)");
        var dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(dir)) throw new InputException($"{output}: directory {dir} does not exist");
        var duplicate = sources.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InputException($"volume name '{duplicate.Key}' is given more than once");

        var volumes = sources.Select(s => ReadCropped(s, margin, progress, ct)).ToList();
        var totals = new long[256];
        foreach (var v in volumes)
            for (int i = 0; i < 256; i++) totals[i] += v.Counts[i];
        var values = Enumerable.Range(0, 255).Where(v => totals[v] > 0).Select(v => (byte)v).ToArray();
        if (values.Length == 0)
            throw new InputException($"{string.Join(", ", sources.Select(s => s.Volume))}: every voxel inside the margin is {Ignore} (excluded); nothing to sample");
        long perValue = values.Max(v => totals[v]);
        long count = perValue * values.Length;
        if (count > Array.MaxLength)
            throw new InputException($"{count} coordinates ({values.Length} values x {perValue}) exceed one array; use fewer or smaller volumes");

        long voxels = volumes.Sum(v => v.Data.LongLength);
        var files = voxels <= uint.MaxValue
            ? Sample<uint>(volumes, values, totals, (int)perValue, seed, output, progress, ct)
            : Sample<ulong>(volumes, values, totals, (int)perValue, seed, output, progress, ct);
        return new CoordinateSummary(count, perValue, values.Select(v => (v, totals[v])).ToList(),
            sources.Select(s => s.Name).ToList(), files);
    }

    /// <summary>One volume's voxels inside the margin, one byte each, and how many carry each value.</summary>
    private sealed record Cropped(string Name, byte[] Data, Vec3i Shape, Vec3i Margin, long[] Counts);

    private static Cropped ReadCropped(CoordinateSource source, Vec3i margin, IProgress<string>? progress, CancellationToken ct)
    {
        using var reader = VolumeStore.OpenRead(source.Volume);
        var info = reader.Info;
        if (!info.DType.IsInteger())
            throw new InputException($"{reader.Source}: partition volumes hold integers (uint8), found {info.DType.Name()}");
        // google/ffn slices [m:-m], which leaves nothing for m = 0; here 0 means no margin.
        var region = new Box3(margin, info.Shape - margin * 2);
        if (region.IsEmpty)
            throw new InputException($"{reader.Source}: margin (z,y,x) {margin} leaves no voxel of the volume of shape {info.Shape}");
        if (region.Volume > Array.MaxLength)
            throw new InputException($"{reader.Source}: {region.Volume} voxels inside the margin exceed one array; crop the volume");
        var data = new byte[region.Volume];
        var counts = new long[256];
        long plane = (long)region.Size.Y * region.Size.X;
        int slabZ = (int)Math.Clamp((16L << 20) / plane, 1, region.Size.Z);
        var meter = new ProgressMeter($"build-coordinates: reading {source.Name}", "slices", region.Size.Z, progress);
        foreach (var slab in region.Tiles(new Vec3i(slabZ, region.Size.Y, region.Size.X)))
        {
            ct.ThrowIfCancellationRequested();
            var v = reader.Read(slab);
            var dst = data.AsSpan((int)((slab.Start.Z - region.Start.Z) * plane), (int)slab.Volume);
            if (v is Volume<byte> b) b.Data.CopyTo(dst);
            else
            {
                // Wider integer partition maps are accepted when every value fits a byte.
                var wide = v.ConvertTo<long>().Data;
                for (int i = 0; i < wide.Length; i++)
                {
                    if ((ulong)wide[i] > byte.MaxValue)
                        throw new InputException($"{reader.Source}: value {wide[i]} is not a partition value (0-255)");
                    dst[i] = (byte)wide[i];
                }
            }
            foreach (var x in dst) counts[x]++;
            meter.Add(slab.Size.Z);
        }
        return new Cropped(source.Name, data, region.Size, margin, counts);
    }

    private static List<string> Sample<TKey>(List<Cropped> volumes, byte[] values, long[] totals, int perValue, ulong seed, string output,
        IProgress<string>? progress, CancellationToken ct) where TKey : unmanaged, IBinaryInteger<TKey>
    {
        // keys[j * perValue ..] holds value j's samples; a key is the voxel's index over all volumes' cropped voxels.
        var keys = new TKey[(long)perValue * values.Length];
        var cursor = new long[256];
        for (int j = 0; j < values.Length; j++) cursor[values[j]] = (long)j * perValue;
        long offset = 0;
        foreach (var v in volumes)
        {
            ct.ThrowIfCancellationRequested();
            var data = v.Data;
            for (int i = 0; i < data.Length; i++)
            {
                byte value = data[i];
                if (value != Ignore) keys[cursor[value]++] = TKey.CreateTruncating(offset + i);
            }
            offset += data.LongLength;
        }

        var rng = new Xoshiro256(seed);
        var meter = new ProgressMeter("build-coordinates: shuffling", "samples", keys.LongLength * 2, progress);
        for (int j = 0; j < values.Length; j++)
        {
            // np.resize(permutation(v), max_count): the value's voxels in random order, repeated to length.
            int n = (int)totals[values[j]];
            var segment = keys.AsSpan(j * perValue, perValue);
            Shuffle(segment[..n], ref rng, meter, ct);
            for (int filled = n; filled < perValue; filled += n)
                segment[..Math.Min(n, perValue - filled)].CopyTo(segment[filled..]);
            meter.Add(perValue - n);
        }
        Shuffle(keys, ref rng, meter, ct);

        var files = new List<string>();
        string indexPath = VolumeIndexPath(output), namesPath = VolumeNamesPath(output);
        try
        {
            if (volumes.Count > 1)
            {
                // Sidecars first: a complete COORDS.npy implies complete sidecars.
                NpyFile.Write(indexPath, NdArray.Create(VolumeIndices(keys, volumes), keys.LongLength));
                AtomicFile.WriteAllText(namesPath, JsonSerializer.Serialize(volumes.Select(v => v.Name).ToArray()) + "\n");
                files.AddRange([indexPath, namesPath]);
            }
            else
            {
                // Sidecars of an earlier multi-volume run would pair the wrong rows with volumes.
                File.Delete(indexPath);
                File.Delete(namesPath);
            }
            WriteCenters(output, keys, volumes, progress, ct);
            files.Insert(0, output);
        }
        catch
        {
            foreach (var f in files) AtomicFile.TryDelete(f);
            throw;
        }
        return files;
    }

    /// <summary>Fisher-Yates: a uniform random permutation for a uniform generator.</summary>
    private static void Shuffle<TKey>(Span<TKey> items, ref Xoshiro256 rng, ProgressMeter meter, CancellationToken ct)
    {
        const int step = 1 << 24;
        int reported = 0;
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)rng.NextBelow((ulong)i + 1);
            (items[i], items[j]) = (items[j], items[i]);
            if ((i & (step - 1)) == 0)
            {
                ct.ThrowIfCancellationRequested();
                meter.Add(step);
                reported += step;
            }
        }
        meter.Add(items.Length - reported);
    }

    private static int[] VolumeIndices<TKey>(TKey[] keys, List<Cropped> volumes) where TKey : unmanaged, IBinaryInteger<TKey>
    {
        var starts = VolumeStarts(volumes);
        var result = new int[keys.Length];
        Parallel.For(0, (keys.Length + (1 << 20) - 1) >> 20, c =>
        {
            for (int i = c << 20; i < Math.Min(keys.Length, (c + 1) << 20); i++)
                result[i] = VolumeOf(starts, long.CreateTruncating(keys[i]));
        });
        return result;
    }

    /// <summary>Streams the rows (x, y, z) as int64 .npy, converting a block of keys at a time.</summary>
    private static void WriteCenters<TKey>(string path, TKey[] keys, List<Cropped> volumes, IProgress<string>? progress,
        CancellationToken ct) where TKey : unmanaged, IBinaryInteger<TKey>
    {
        var starts = VolumeStarts(volumes);
        const int block = 1 << 20;
        var meter = new ProgressMeter("build-coordinates: writing", "coordinates", keys.LongLength, progress);
        AtomicFile.Write(path, s =>
        {
            s.Write(NpyHeader.Encode(DType.Int64, [keys.LongLength, 3]));
            var rows = new long[3L * block];
            for (int b = 0; b < keys.Length; b += block)
            {
                ct.ThrowIfCancellationRequested();
                int n = Math.Min(block, keys.Length - b);
                Parallel.For(0, (n + 4095) / 4096, c =>
                {
                    for (int i = c * 4096; i < Math.Min(n, (c + 1) * 4096); i++)
                    {
                        long key = long.CreateTruncating(keys[b + i]);
                        int vi = VolumeOf(starts, key);
                        var v = volumes[vi];
                        long local = key - starts[vi], plane = (long)v.Shape.Y * v.Shape.X;
                        long z = local / plane, rest = local - z * plane, y = rest / v.Shape.X, x = rest - y * v.Shape.X;
                        rows[3L * i] = x + v.Margin.X;
                        rows[3L * i + 1] = y + v.Margin.Y;
                        rows[3L * i + 2] = z + v.Margin.Z;
                    }
                });
                s.Write(MemoryMarshal.AsBytes(rows.AsSpan(0, 3 * n)));
                meter.Add(n);
            }
        });
    }

    private static long[] VolumeStarts(List<Cropped> volumes)
    {
        var starts = new long[volumes.Count];
        for (int i = 1; i < volumes.Count; i++) starts[i] = starts[i - 1] + volumes[i - 1].Data.LongLength;
        return starts;
    }

    private static int VolumeOf(long[] starts, long key)
    {
        int i = starts.Length - 1;
        while (starts[i] > key) i--;
        return i;
    }

    private static string StripNpy(string path) =>
        path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? path[..^4] : path;
}
