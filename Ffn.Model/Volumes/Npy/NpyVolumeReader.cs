using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Npy;

/// <summary>A 3D .npy file as a volume; a box is read row by row with seeks, never the whole file.</summary>
public sealed class NpyVolumeReader : IVolumeReader
{
    private readonly FileStream _fs;
    private readonly long _dataOffset;
    private readonly object _lock = new();

    private NpyVolumeReader(string path)
    {
        Source = path;
        _fs = NpyFile.OpenRead(path);
        try
        {
            var h = NpyHeader.Read(_fs, path, _fs.Length);
            if (h.Shape.Length != 3)
                throw new VolumeException($"{path}: expected a 3D (z, y, x) array, found shape ({string.Join(", ", h.Shape)})");
            if (h.Shape.Any(d => d > int.MaxValue))
                throw new VolumeException($"{path}: shape ({string.Join(", ", h.Shape)}) has an axis longer than {int.MaxValue} voxels");
            var shape = new Vec3i((int)h.Shape[0], (int)h.Shape[1], (int)h.Shape[2]);
            Info = new VolumeInfo(shape, h.DType);
            _dataOffset = h.DataOffset;
        }
        catch
        {
            _fs.Dispose();
            throw;
        }
    }

    public static NpyVolumeReader Open(string path) => new(path);

    public string Source { get; }
    public VolumeInfo Info { get; }

    public Volume Read(Box3 box)
    {
        if (!Info.Box.Contains(box)) throw new VolumeException($"{Source}: box {box} lies outside the volume {Info.Shape}");
        var v = Volume.Create(Info.DType, box.Size, box.Start);
        var bytes = v.Bytes;
        int es = Info.DType.Size();
        int rowBytes = box.Size.X * es;
        lock (_lock)
        {
            int k = 0;
            for (int z = 0; z < box.Size.Z; z++)
            for (int y = 0; y < box.Size.Y; y++)
            {
                long src = ((long)(box.Start.Z + z) * Info.Shape.Y + box.Start.Y + y) * Info.Shape.X + box.Start.X;
                _fs.Position = _dataOffset + src * es;
                if (NpyHeader.ReadFully(_fs, bytes.Slice(k, rowBytes)) < rowBytes)
                    throw new VolumeException($"{Source}: truncated npy data");
                k += rowBytes;
            }
        }
        return v;
    }

    public void Dispose() => _fs.Dispose();
}
