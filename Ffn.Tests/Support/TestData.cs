namespace Ffn.Tests.Support;

/// <summary>Finds the repository root and the read-only ../shared folder beside it. Missing data fails the test.</summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("FFN_SHARED") ?? Path.Combine(RepoRoot, "..", "shared");
            if (!Directory.Exists(dir))
                throw new InvalidOperationException($"test data folder {Path.GetFullPath(dir)} is missing (set FFN_SHARED)");
            return Path.GetFullPath(dir);
        }
    }

    public static string SharedFile(params string[] parts)
    {
        var p = Path.Combine([Shared, .. parts]);
        if (!File.Exists(p)) throw new FileNotFoundException($"shared test file missing: {p}");
        return p;
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FfnActors.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find FfnActors.sln above the test binaries");
    }
}
