using System.IO.Compression;

namespace Ffn.Model.Volumes.Npy;

/// <summary>NumPy .npz archives: a zip of "key.npy" members, stored (np.savez) or deflated (np.savez_compressed).</summary>
public static class NpzFile
{
    public static IReadOnlyList<string> Keys(string path)
    {
        using var zip = OpenZip(path);
        return zip.Entries.Select(e => KeyOf(e.FullName)).ToList();
    }

    public static NdArray Read(string path, string key)
    {
        using var zip = OpenZip(path);
        var entry = zip.GetEntry(key + ".npy") ?? zip.GetEntry(key)
            ?? throw new VolumeException(
                $"{path}: no array '{key}' (has: {string.Join(", ", zip.Entries.Select(e => KeyOf(e.FullName)))})");
        using var s = entry.Open();
        return NpyFile.ReadFrom(s, $"{path}:{key}", entry.Length);
    }

    public static Dictionary<string, NdArray> ReadAll(string path)
    {
        using var zip = OpenZip(path);
        var result = new Dictionary<string, NdArray>();
        foreach (var e in zip.Entries)
        {
            using var s = e.Open();
            result[KeyOf(e.FullName)] = NpyFile.ReadFrom(s, $"{path}:{KeyOf(e.FullName)}", e.Length);
        }
        return result;
    }

    public static void Write(string path, IReadOnlyDictionary<string, NdArray> arrays, bool compressed = true) =>
        AtomicFile.Write(path, fs =>
        {
            using var zip = new ZipArchive(fs, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (key, arr) in arrays)
            {
                var entry = zip.CreateEntry(key + ".npy", compressed ? CompressionLevel.Fastest : CompressionLevel.NoCompression);
                using var s = entry.Open();
                NpyFile.WriteTo(s, arr);
            }
        });

    private static string KeyOf(string member) => member.EndsWith(".npy", StringComparison.Ordinal) ? member[..^4] : member;

    private static ZipArchive OpenZip(string path)
    {
        var fs = NpyFile.OpenRead(path);
        try
        {
            return new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            fs.Dispose();
            throw new VolumeException($"{path}: not a NumPy .npz (zip) archive: {e.Message}");
        }
    }
}
