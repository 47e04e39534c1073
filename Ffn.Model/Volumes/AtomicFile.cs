using System.Text.RegularExpressions;

namespace Ffn.Model.Volumes;

/// <summary>
/// Writes a file under a temporary name in the same directory, flushes it to disk and renames it into place, so a
/// reader (or a resumed run) never sees a half-written file and a crash after the rename cannot leave it empty: the
/// rename is the commit. Every writer goes through <see cref="Begin"/> (streaming writers that keep the file open)
/// or <see cref="Write"/> (one call).
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

    /// <summary>
    /// Creates the temporary file for <paramref name="path"/> and hands out its stream; the file appears at
    /// <paramref name="path"/> (replacing any file there) only on <see cref="Pending.Commit"/>. Disposing without
    /// Commit deletes it. <paramref name="access"/> is ReadWrite for writers that read back what they wrote (HDF5, TIFF).
    /// </summary>
    /// <exception cref="VolumeException">the directory does not exist.</exception>
    /// <exception cref="IOException">the temporary file cannot be created.</exception>
    public static Pending Begin(string path, FileAccess access = FileAccess.Write, int bufferSize = 1 << 20)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new VolumeException($"{path}: directory {dir} does not exist");
        var tmp = TempPathFor(full);
        return new Pending(full, tmp, new FileStream(tmp, FileMode.CreateNew, access, FileShare.None, bufferSize));
    }

    public static void Write(string path, Action<Stream> write, bool durable = true)
    {
        using var file = Begin(path, bufferSize: 1 << 16);
        write(file.Stream);
        file.Commit(durable);
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"\.tmp-([0-9a-f]{8}|[0-9a-f]{32})$")]
    private static partial Regex TempName();

    /// <summary>A file being written under its temporary name (see <see cref="Begin"/>).</summary>
    public sealed class Pending : IDisposable
    {
        private bool _closed;

        internal Pending(string path, string tempPath, FileStream stream)
        {
            Path = path;
            TempPath = tempPath;
            Stream = stream;
        }

        /// <summary>The full target path, which exists only after <see cref="Commit"/>.</summary>
        public string Path { get; }

        public string TempPath { get; }

        /// <summary>The temporary file; left open by the writer, closed by Commit or Dispose.</summary>
        public FileStream Stream { get; }

        /// <summary>
        /// Flushes the file (to disk when <paramref name="durable"/>), closes it and renames it onto <see cref="Path"/>;
        /// on failure deletes it. Without the disk flush the rename still hides half-written files from readers and
        /// from a killed process's rerun; only a power cut can then leave the file short.
        /// </summary>
        public void Commit(bool durable = true)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            try
            {
                Stream.Flush(flushToDisk: durable);
                Stream.Dispose();
                File.Move(TempPath, Path, overwrite: true);
                _closed = true;
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>Without a prior Commit, closes and deletes the temporary file.</summary>
        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            // Closing flushes what is buffered, which can fail again (disk full) after the error that brought us here.
            try { Stream.Dispose(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            TryDelete(TempPath);
        }
    }
}
