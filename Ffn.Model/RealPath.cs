namespace Ffn.Model;

/// <summary>
/// A path as the kernel reads it when a file is opened: every symbolic link on it followed, and each ".." taken from
/// where the walk really is, so "link/.." is the parent of the link's target, not the folder holding the link (what a
/// textual normalization such as Path.GetFullPath would say). Components that do not exist yet are kept as written,
/// so the path of a file or folder about to be created resolves too (realpath(3) refuses those).
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40; // as Linux's ELOOP

    public static string Of(string path)
    {
        var absolute = Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path);
        var current = Path.GetPathRoot(absolute)!;
        var rest = new LinkedList<string>(Parts(absolute));
        for (int links = 0; rest.First is { } first;)
        {
            rest.RemoveFirst();
            var part = first.Value;
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (++links > MaxLinks) throw new IOException($"{path}: too many symbolic links");
                // The target's own parts go through this same walk: a relative one starts at the link's folder.
                var resolved = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                current = Path.GetPathRoot(resolved)!;
                foreach (var p in Parts(resolved).Reverse()) rest.AddFirst(p);
                continue;
            }
            current = next;
        }
        return current;
    }

    /// <summary>True when <paramref name="realPath"/> is <paramref name="realRoot"/> or lies beneath it (both already resolved).</summary>
    public static bool IsUnder(string realPath, string realRoot)
    {
        var root = realRoot.TrimEnd(Path.DirectorySeparatorChar);
        return realPath == realRoot || realPath.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    private static string[] Parts(string absolute) =>
        absolute[Path.GetPathRoot(absolute)!.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
}
