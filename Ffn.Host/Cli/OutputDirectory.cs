namespace Ffn.Host.Cli;

/// <summary>
/// Output folders are made as `mkdir -p` would, and checked writable before any work; a file standing where a
/// folder is needed is a one-line error naming the flag.
/// </summary>
public static class OutputDirectory
{
    /// <summary>Creates <paramref name="dir"/> (named by <paramref name="flag"/>) with its parents; returns its full path.</summary>
    public static string Ensure(string flag, string dir) => Ensure(flag, dir, dir);

    private static string Ensure(string flag, string dir, string shown)
    {
        var full = Path.GetFullPath(dir);
        for (var d = full; d is not null; d = Path.GetDirectoryName(d))
            if (File.Exists(d)) throw new UsageException($"{flag} {shown}: {(d == full && shown == dir ? "is a file" : $"{d} is a file")}, not a directory");
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".ffn-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{flag} {shown}: {full} is not writable ({e.Message})");
        }
        return full;
    }

    /// <summary>Creates the folder an output file <paramref name="path"/> goes into.</summary>
    public static void EnsureParent(string flag, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"{flag} {path}: is a directory, not a file");
        Ensure(flag, Path.GetDirectoryName(full)!, path);
    }
}
