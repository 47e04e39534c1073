using System.Buffers.Binary;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// Writes a Zarr v2 array chunk by chunk, each chunk file atomically (temp name, rename), so a reader or a
/// killed and resumed writer never sees half a chunk. Chunks that hold only the fill value are not stored (a
/// missing chunk reads as the fill value), which keeps sparse segmentations small.
/// </summary>
public sealed class ZarrVolumeWriter
{
    private readonly string _dir;

    private ZarrVolumeWriter(string dir, ZarrArrayMeta meta)
    {
        _dir = dir;
        Meta = meta;
    }

    public ZarrArrayMeta Meta { get; }

    /// <summary>Creates (or replaces the description of) the array in folder <paramref name="arrayDir"/>.</summary>
    public static ZarrVolumeWriter Create(string arrayDir, Vec3i shape, DType dtype, Vec3i chunks, ZarrCompressor? compressor = null, double fillValue = 0)
    {
        if (!shape.AllPositive) throw new InputException($"{arrayDir}: zarr array shape {shape} must be positive");
        var meta = new ZarrArrayMeta(shape, Vec3i.Min(chunks, shape), dtype, false, compressor ?? ZarrCompressor.Zstd, fillValue, "/");
        ZarrArrayMeta.DTypeString(dtype); // refuses what cannot be written, before anything is
        Directory.CreateDirectory(arrayDir);
        AtomicFile.WriteAllText(Path.Combine(arrayDir, ZarrArrayMeta.FileName), meta.ToJson());
        return new ZarrVolumeWriter(arrayDir, meta);
    }

    /// <summary>Opens an existing array for writing more chunks (a resumed run).</summary>
    public static ZarrVolumeWriter OpenExisting(string arrayDir) => new(arrayDir, ZarrArrayMeta.Read(arrayDir));

    /// <summary>
    /// Writes <paramref name="v"/> (placed by its Offset) into the array. Chunks it covers whole are written from it
    /// alone; a chunk it covers in part is read, updated and written back.
    /// </summary>
    public void Write(Volume v)
    {
        if (v.DType != Meta.DType) throw new ArgumentException($"{_dir}: writing {v.DType.Name()} into a {Meta.DType.Name()} array");
        var box = v.Box.Intersect(Box3.FromShape(Meta.Shape));
        if (box.IsEmpty) return;
        var cs = Meta.Chunks;
        var indices = new List<Vec3i>();
        for (int i = box.Start.Z / cs.Z; i <= (box.End.Z - 1) / cs.Z; i++)
        for (int j = box.Start.Y / cs.Y; j <= (box.End.Y - 1) / cs.Y; j++)
        for (int k = box.Start.X / cs.X; k <= (box.End.X - 1) / cs.X; k++)
            indices.Add(new Vec3i(i, j, k));
        // Chunks are separate files: copied, compressed and written on every core at once.
        Parallel.ForEach(indices, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, index =>
        {
            var chunkBox = new Box3(new Vec3i(index.Z * cs.Z, index.Y * cs.Y, index.X * cs.X), cs);
            var inArray = chunkBox.Intersect(Box3.FromShape(Meta.Shape));
            Volume chunk;
            if (v.Box.Contains(inArray))
            {
                chunk = Volume.Create(Meta.DType, cs, chunkBox.Start);
                if (Meta.FillValue != 0 && inArray != chunkBox) Fill(chunk);
            }
            else
            {
                using var reader = ZarrVolumeReader.Open(_dir, _dir);
                chunk = reader.Read(inArray);
                var full = Volume.Create(Meta.DType, cs, chunkBox.Start);
                if (Meta.FillValue != 0) Fill(full);
                full.PasteBytes(chunk);
                chunk = full;
            }
            chunk.PasteBytes(v);
            WriteChunk(index, chunk);
        });
    }

    /// <summary>Stores one whole chunk (its shape is the chunk shape, edge chunks padded), or removes it when it is all fill value.</summary>
    public void WriteChunk(Vec3i index, Volume chunk)
    {
        var path = Path.Combine(_dir, Meta.ChunkKey(index).Replace('/', Path.DirectorySeparatorChar));
        var bytes = chunk.Bytes;
        var fill = FillBytes(Meta);
        bool allFill;
        if (fill.AsSpan().IndexOfAnyExcept((byte)0) < 0) allFill = bytes.IndexOfAnyExcept((byte)0) < 0; // vectorised
        else
        {
            allFill = true;
            for (int i = 0; i < bytes.Length && allFill; i += fill.Length)
                allFill = bytes.Slice(i, fill.Length).SequenceEqual(fill);
        }
        if (allFill)
        {
            AtomicFile.TryDelete(path);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var encoded = Meta.Compressor.Encode(bytes);
        // Renamed into place, not synced: a killed writer leaves no half chunk, and thousands of fsyncs cost more than
        // the compression (a power cut can leave a short chunk, which reads as a named error; rerunning rewrites it).
        AtomicFile.Write(path, s => s.Write(encoded), durable: false);
    }

    private void Fill(Volume v)
    {
        var one = FillBytes(Meta);
        var b = v.Bytes;
        for (int i = 0; i < b.Length; i += one.Length) one.CopyTo(b[i..]);
    }

    /// <summary>One element of the fill value as this machine stores it.</summary>
    internal static byte[] FillBytes(ZarrArrayMeta m)
    {
        var one = Volume.Create(m.DType, Vec3i.One);
        double f = m.FillValue;
        switch (one)
        {
            case Volume<byte> b: b.Data[0] = (byte)f; break;
            case Volume<ushort> b: b.Data[0] = (ushort)f; break;
            case Volume<uint> b: b.Data[0] = (uint)f; break;
            case Volume<ulong> b: b.Data[0] = (ulong)f; break;
            case Volume<int> b: b.Data[0] = (int)f; break;
            case Volume<long> b: b.Data[0] = (long)f; break;
            case Volume<float> b: b.Data[0] = (float)f; break;
            case Volume<double> b: b.Data[0] = f; break;
        }
        return one.Bytes.ToArray();
    }

    internal static void SwapBytes(Span<byte> data, int size)
    {
        for (int i = 0; i + size <= data.Length; i += size) data.Slice(i, size).Reverse();
    }
}
