namespace Ffn.Model.Viewing;

/// <summary>
/// The files a viewer server may hand out: those under one root folder, after following symbolic links. A request
/// path with a ".." or "." segment, a backslash or a NUL, or one that leads (through a link anywhere on the way)
/// outside the root, names nothing.
/// </summary>
public sealed class ServedTree
{
    private readonly string _root;

    public ServedTree(string root)
    {
        if (!Directory.Exists(root)) throw new InputException($"{root}: no such directory");
        _root = RealPath(Path.GetFullPath(root)).TrimEnd(Path.DirectorySeparatorChar);
    }

    public string Root => _root;

    /// <summary>The real path of an existing regular file for URL path <paramref name="relative"/> (already percent-decoded), or null.</summary>
    public string? Resolve(string relative)
    {
        if (relative.Contains('\0') || relative.Contains('\\')) return null;
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or "..")) return null;
        string real;
        try
        {
            real = RealPath(Path.Combine([_root, .. parts]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Inside(real) && File.Exists(real) ? real : null;
    }

    public bool Inside(string realPath) => realPath.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path with every symbolic link on it followed (as realpath(3)), for paths that exist up to their last link.</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var rest = new Queue<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries));
        for (int hops = 0; rest.Count > 0;)
        {
            var next = Path.Combine(current, rest.Dequeue());
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++hops > 40) throw new IOException($"{path}: too many symbolic links");
                var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                var newRoot = Path.GetPathRoot(resolved)!;
                var remaining = rest.ToArray();
                rest = new Queue<string>(resolved[newRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Concat(remaining));
                current = newRoot;
                continue;
            }
            current = next;
        }
        return current;
    }
}
