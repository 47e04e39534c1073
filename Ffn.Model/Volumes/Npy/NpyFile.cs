namespace Ffn.Model.Volumes.Npy;

/// <summary>Reads and writes NumPy .npy files byte-compatible with np.load / np.save.</summary>
public static class NpyFile
{
    public static NdArray Read(string path)
    {
        using var fs = OpenRead(path);
        return ReadFrom(fs, path, fs.Length);
    }

    public static NpyHeader ReadHeader(string path)
    {
        using var fs = OpenRead(path);
        return NpyHeader.Read(fs, path, fs.Length);
    }

    /// <summary>Reads a whole .npy of <paramref name="length"/> bytes (a file or an .npz member) into memory.</summary>
    public static NdArray ReadFrom(Stream s, string source, long length)
    {
        var h = NpyHeader.Read(s, source, length);
        // One .NET array (and the byte span it is read through) holds at most Array.MaxLength bytes.
        if (h.DataBytes > Array.MaxLength)
            throw new VolumeException($"{source}: shape ({string.Join(", ", h.Shape)}) {h.DType.Name()} is {h.DataBytes} bytes; arrays of at most {Array.MaxLength} bytes can be read whole");
        var arr = NdArray.Allocate(h.DType, h.Shape);
        if (NpyHeader.ReadFully(s, arr.Bytes) < arr.Bytes.Length)
            throw new VolumeException($"{source}: truncated npy data (expected {arr.Bytes.Length} bytes for shape {arr.ShapeText})");
        return arr;
    }

    public static void Write(string path, NdArray array) => AtomicFile.Write(path, s => WriteTo(s, array));

    public static void Write(string path, Volume volume) => Write(path, NdArray.FromVolume(volume));

    public static void WriteTo(Stream s, NdArray array)
    {
        s.Write(NpyHeader.Encode(array.DType, array.Shape));
        // Span over up to 2 GiB at a time: Bytes of one array never exceeds that for our element sizes.
        s.Write(array.Bytes);
    }

    internal static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new VolumeException($"{path}: no such file");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }
}
