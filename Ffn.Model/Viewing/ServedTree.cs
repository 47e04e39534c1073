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
        _root = RealPath.Of(Path.GetFullPath(root)).TrimEnd(Path.DirectorySeparatorChar);
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
            real = RealPath.Of(Path.Combine([_root, .. parts]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Inside(real) && File.Exists(real) ? real : null;
    }

    public bool Inside(string realPath) => realPath.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
