namespace Ffn.Host.Cli;

/// <summary>
/// Output folders are made as `mkdir -p` would, and checked writable before any work; a file standing where a
/// folder is needed is a one-line error naming the flag. Folders made during a command that then fails are removed
/// again if they are still empty (<see cref="Track"/>), so a failed command leaves nothing behind.
/// </summary>
public static class OutputDirectory
{
    private static readonly AsyncLocal<List<string>?> Created = new();

    /// <summary>Creates <paramref name="dir"/> (named by <paramref name="flag"/>) with its parents; returns its full path.</summary>
    public static string Ensure(string flag, string dir) => Ensure(flag, dir, dir);

    /// <summary>Creates the folder an output file <paramref name="path"/> goes into.</summary>
    public static void EnsureParent(string flag, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"{flag} {path}: is a directory, not a file");
        Ensure(flag, Path.GetDirectoryName(full)!, path);
    }

    /// <summary>Folders created from here on are recorded until the scope is disposed; <see cref="Scope.RemoveEmpty"/> undoes them.</summary>
    public static Scope Track() => new();

    public sealed class Scope : IDisposable
    {
        private readonly List<string>? _outer = Created.Value;
        private readonly List<string> _mine = [];

        internal Scope() => Created.Value = _mine;

        /// <summary>Removes the recorded folders that are still empty, deepest first.</summary>
        public void RemoveEmpty()
        {
            foreach (var d in _mine.OrderByDescending(d => d.Length))
            {
                try
                {
                    if (Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any()) Directory.Delete(d);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }

        public void Dispose()
        {
            _outer?.AddRange(_mine);
            Created.Value = _outer;
        }
    }

    private static string Ensure(string flag, string dir, string shown)
    {
        var full = Path.GetFullPath(dir);
        var missing = new List<string>();
        for (var d = full; d is not null; d = Path.GetDirectoryName(d))
        {
            if (File.Exists(d)) throw new UsageException($"{flag} {shown}: {(d == full && shown == dir ? "is a file" : $"{d} is a file")}, not a directory");
            if (!Directory.Exists(d)) missing.Add(d);
        }
        try
        {
            Directory.CreateDirectory(full);
            Created.Value?.AddRange(missing);
            var probe = Path.Combine(full, $".ffn-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The .NET message would name our hidden probe file; say what it means instead.
            var why = e is UnauthorizedAccessException ? "permission denied" : "files cannot be created there";
            throw new UsageException($"{flag} {shown}: {full} is not writable ({why})");
        }
        return full;
    }
}
