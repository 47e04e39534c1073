using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// Reads boxes of a Zarr v2 array chunk by chunk: only the chunks a box touches are read and decoded (a few of the
/// latest are kept for the next box), a missing chunk is the fill value, so volumes larger than memory stream.
/// </summary>
public sealed class ZarrVolumeReader : IVolumeReader
{
    private const long CacheBytes = 64L << 20;
    private readonly string _dir;
    private readonly ZarrArrayMeta _meta;
    private readonly LinkedList<(Vec3i Index, Volume? Chunk)> _recent = new();
    private long _cached;

    private ZarrVolumeReader(string dir, string source, ZarrArrayMeta meta)
    {
        _dir = dir;
        _meta = meta;
        Source = source;
        Info = new VolumeInfo(meta.Shape, meta.DType, meta.Chunks);
    }

    public string Source { get; }
    public VolumeInfo Info { get; }
    public ZarrArrayMeta Meta => _meta;

    /// <summary>Opens the array in folder <paramref name="arrayDir"/> (one holding a .zarray).</summary>
    public static ZarrVolumeReader Open(string arrayDir, string source) => new(arrayDir, source, ZarrArrayMeta.Read(arrayDir));

    public Volume Read(Box3 box)
    {
        if (!Info.Box.Contains(box)) throw new VolumeException($"{Source}: box {box} lies outside the volume {Info.Shape}");
        var result = Volume.Create(_meta.DType, box.Size, box.Start);
        if (box.IsEmpty) return result;
        var cs = _meta.Chunks;
        var lo = new Vec3i(box.Start.Z / cs.Z, box.Start.Y / cs.Y, box.Start.X / cs.X);
        var hi = new Vec3i((box.End.Z - 1) / cs.Z, (box.End.Y - 1) / cs.Y, (box.End.X - 1) / cs.X);
        for (int i = lo.Z; i <= hi.Z; i++)
        for (int j = lo.Y; j <= hi.Y; j++)
        for (int k = lo.X; k <= hi.X; k++)
        {
            var index = new Vec3i(i, j, k);
            if (Chunk(index) is { } chunk) result.PasteBytes(chunk);
            else if (_meta.FillValue != 0) Fill(result, new Box3(new Vec3i(i * cs.Z, j * cs.Y, k * cs.X), cs).Intersect(box));
        }
        return result;
    }

    /// <summary>One decoded chunk at its place in the array, or null when it was never written (all fill value).</summary>
    private Volume? Chunk(Vec3i index)
    {
        for (var n = _recent.First; n != null; n = n.Next)
            if (n.Value.Index == index)
            {
                _recent.Remove(n);
                _recent.AddFirst(n);
                return n.Value.Chunk;
            }
        var chunk = Load(index);
        _recent.AddFirst((index, chunk));
        _cached += chunk?.Bytes.Length ?? 0;
        while (_cached > CacheBytes && _recent.Count > 1)
        {
            _cached -= _recent.Last!.Value.Chunk?.Bytes.Length ?? 0;
            _recent.RemoveLast();
        }
        return chunk;
    }

    private Volume? Load(Vec3i index)
    {
        var path = Path.Combine(_dir, _meta.ChunkKey(index).Replace('/', Path.DirectorySeparatorChar));
        if (!File.Exists(path)) return null;
        var cs = _meta.Chunks;
        var chunk = Volume.Create(_meta.DType, cs, new Vec3i(index.Z * cs.Z, index.Y * cs.Y, index.X * cs.X));
        var bytes = _meta.Compressor.Decode(File.ReadAllBytes(path), path, chunk.Bytes.Length);
        if (bytes.Length != chunk.Bytes.Length)
            throw new InputException($"{path}: truncated chunk ({bytes.Length} bytes, expected {chunk.Bytes.Length} for {cs} {_meta.DType.Name()})");
        bytes.CopyTo(chunk.Bytes);
        if (_meta.BigEndian) ZarrVolumeWriter.SwapBytes(chunk.Bytes, _meta.DType.Size());
        return chunk;
    }

    private void Fill(Volume v, Box3 box)
    {
        var fill = Volume.Create(_meta.DType, box.Size, box.Start);
        var one = ZarrVolumeWriter.FillBytes(_meta);
        var bytes = fill.Bytes;
        for (int i = 0; i < bytes.Length; i += one.Length) one.CopyTo(bytes[i..]);
        v.PasteBytes(fill);
    }

    public void Dispose() { }
}
