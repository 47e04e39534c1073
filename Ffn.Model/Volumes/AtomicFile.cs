using System.Text.RegularExpressions;

namespace Ffn.Model.Volumes;

/// <summary>
/// Writes a file under a temporary name in the same directory and renames it into place, so a reader (or a resumed
/// run) never sees a half-written file: the rename is the commit.
/// </summary>
public static partial class AtomicFile
{
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!,
            "." + Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A name <see cref="TempPathFor"/> makes (or, with 32 hex digits, the volume writers made before they used it).</summary>
    public static bool IsTemporary(string path) => TempName().IsMatch(Path.GetFileName(path));

    /// <summary>
    /// Deletes the temporaries in <paramref name="dir"/> (not below it), left by processes that died mid-write; returns
    /// their names. Only for a directory no other process can be writing in, or it deletes their live files.
    /// </summary>
    public static IReadOnlyList<string> DeleteTemporaries(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        var stale = Directory.EnumerateFiles(dir).Where(IsTemporary).ToList();
        foreach (var f in stale) TryDelete(f);
        return stale;
    }

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new VolumeException($"{path}: directory {dir} does not exist");
        var tmp = TempPathFor(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"\.tmp-([0-9a-f]{8}|[0-9a-f]{32})$")]
    private static partial Regex TempName();
}
