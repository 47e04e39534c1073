using Ffn.Model.Runtime;

namespace Ffn.Tests.Support;

/// <summary>
/// This build's ffn split in two, as a machine that brings its own libtorch has it: the program without libtorch's
/// libraries (App), and those libraries in a libtorch-zip-like folder (LibDir = ROOT/libtorch/lib). Files are hard
/// links where the file system allows (the 461 MB libtorch_cpu.so is not copied), so /proc/self/maps shows the
/// path the process opened: LibDir's.
/// </summary>
public sealed class AppWithoutLibTorch : IDisposable
{
    private readonly TempDir _root = new();

    public string Dll => Path.Combine(_root.Path, "app", "ffn.dll");
    public string LibDir => Path.Combine(_root.Path, "libtorch", "lib");

    public AppWithoutLibTorch(string? buildVersion)
    {
        var src = AppContext.BaseDirectory;
        var app = Path.Combine(_root.Path, "app");
        Directory.CreateDirectory(LibDir);
        if (buildVersion is not null) File.WriteAllText(Path.Combine(_root.Path, "libtorch", "build-version"), buildVersion + "\n");
        foreach (var file in Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            bool lib = LibTorchDirectory.CpuLibraries.Contains(name) || name.StartsWith("libgomp", StringComparison.Ordinal);
            var dest = lib ? Path.Combine(LibDir, name) : Path.Combine(app, Path.GetRelativePath(src, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            Link(file, dest);
        }
    }

    private static void Link(string from, string to)
    {
        if (link(from, to) != 0) File.Copy(from, to);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int link(string oldpath, string newpath);

    public void Dispose() => _root.Dispose();
}
