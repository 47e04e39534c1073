using System.Runtime.InteropServices;
using TorchSharp;

namespace Ffn.Model.Runtime;

/// <summary>
/// Which libtorch this process runs: the CPU one bundled beside ffn, or one a lab already has (a PyTorch install's
/// torch/lib or an unpacked libtorch, with CUDA when it has it). Exactly one libtorch may be in a process: two
/// copies each register the same operators and crash at load. A chosen folder's libraries are loaded by absolute
/// path before TorchSharp's glue, whose dependencies the loader then matches by soname to those already loaded.
/// TorchSharp's own loader (run by its static constructor) probes beside ffn before anything else, so a build that
/// carries libtorch cannot run another one: that needs the build without it.
/// </summary>
public static class LibTorchSource
{
    public const string Variable = "FFN_LIBTORCH";

    /// <summary>What was selected, for `ffn doctor`: "bundled", "--libtorch DIR", "FFN_LIBTORCH=DIR", ...</summary>
    public static string Description { get; private set; } = "not selected";

    /// <summary>The folder libtorch came from when it is not the bundled one.</summary>
    public static LibTorchDirectory? Directory { get; private set; }

    /// <summary>Set when this ffn carries no libtorch and none usable was named or found: the line to print when a network is needed.</summary>
    public static string? Missing { get; private set; }

    private static readonly Lock Gate = new();
    private static bool _resolverSet;

    public static bool Bundled => NativeSearchDirectories().Any(d => File.Exists(Path.Combine(d, LibTorchDirectory.CpuLibrary)));

    /// <summary>Where .NET looks for an app's native libraries: beside it, runtimes/RID/native, a single file's extraction folder.</summary>
    private static IEnumerable<string> NativeSearchDirectories() =>
        ((AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string) ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Append(AppContext.BaseDirectory);

    /// <summary>
    /// Selects libtorch for this process before anything uses TorchSharp. <paramref name="dir"/> empty: the bundled
    /// one, else one in a folder on LD_LIBRARY_PATH; otherwise that folder. <paramref name="what"/> names where the
    /// folder came from, for messages. Calling it again with the same choice does nothing.
    /// </summary>
    public static void Select(string? dir, string what)
    {
        lock (Gate)
        {
            if (string.IsNullOrWhiteSpace(dir)) SelectDefault();
            else SelectDirectory(dir, what);
        }
    }

    /// <summary>Throws the one-line reason when this process has no usable libtorch (a build without it, nothing named).</summary>
    public static void RequireAvailable()
    {
        if (Missing is { } m) throw new InputException(m);
    }

    private static void SelectDefault()
    {
        if (Directory is not null || Missing is not null) return;
        if (Bundled)
        {
            Description = "bundled";
            return;
        }
        // Only folders the user put on LD_LIBRARY_PATH: the system's own (a distribution's libtorch) is rarely 2.10.
        var onPath = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, LibTorchDirectory.CpuLibrary)));
        if (onPath is null)
        {
            Missing = $"this ffn carries no libtorch: give --libtorch DIR (a PyTorch install's torch/lib, or an unpacked libtorch's lib folder), " +
                      $"{Variable}=DIR, HOCON ffn.torch.libtorch, or put DIR on LD_LIBRARY_PATH";
            Description = "none";
            return;
        }
        var what = $"LD_LIBRARY_PATH folder {onPath}";
        try
        {
            Load(LibTorchDirectory.Inspect(onPath, what), what);
            Description = what;
        }
        catch (InputException e)
        {
            // Commands without a network still run; the first one that needs libtorch says why it has none.
            Missing = e.Message;
            Description = "none";
        }
    }

    private static void SelectDirectory(string dir, string what)
    {
        var d = LibTorchDirectory.Inspect(dir, what);
        if (Directory is { } current)
        {
            if (current.Path == d.Path) return;
            throw new InputException($"{what}: this process already runs libtorch from {current.Path}");
        }
        if (Bundled)
            throw new InputException($"{what}: this ffn carries its own CPU libtorch, and a process can run only one; " +
                                     "use the build without it (dotnet publish ... -p:FfnBundleLibTorch=false, README: GPUs)");
        var mapped = MappedCpuLibraries();
        if (mapped.Count > 0)
            throw new InputException($"{what}: this process already loaded libtorch from {Path.GetDirectoryName(mapped[0])}");
        Load(d, what);
        Description = what;
    }

    private static void Load(LibTorchDirectory d, string what)
    {
        if (d.Version is { } v) LibTorchDirectory.RequireCompatible(v, what);
        var names = d.HasCuda ? [.. LibTorchDirectory.CpuLibraries, .. LibTorchDirectory.CudaLibraries] : LibTorchDirectory.CpuLibraries;
        IntPtr cpu = IntPtr.Zero;
        foreach (var name in names)
        {
            var path = Path.Combine(d.Path, name);
            IntPtr h;
            try
            {
                h = NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                throw new InputException($"{what}: {name} does not load: {FirstLine(e.Message)}", e);
            }
            if (name == LibTorchDirectory.CpuLibrary) cpu = h;
        }
        if (d.Version is null)
        {
            // No version file beside the folder: ask the library itself, before TorchSharp's glue binds to it.
            var version = LibTorch.VersionOf(cpu) ?? throw new InputException($"{what}: cannot tell the libtorch version (no version.py or build-version beside it, and its build configuration names none)");
            LibTorchDirectory.RequireCompatible(version, what);
            d = d with { Version = version };
        }
        try
        {
            NativeLibrary.Load("LibTorchSharp", typeof(torch).Assembly, null);
        }
        catch (DllNotFoundException e)
        {
            throw new InputException($"{what}: TorchSharp's glue (libLibTorchSharp.so) does not load against this libtorch: {FirstLine(e.Message)}", e);
        }
        if (!_resolverSet)
        {
            // Our own imports of libtorch_cpu.so (LibTorch) bind to this copy whatever the probing order.
            NativeLibrary.SetDllImportResolver(typeof(LibTorchSource).Assembly, (name, _, _) => name == LibTorchDirectory.CpuLibrary ? cpu : IntPtr.Zero);
            _resolverSet = true;
        }
        var mapped = MappedCpuLibraries();
        if (mapped.Count != 1 || Path.GetDirectoryName(mapped[0]) != d.Path)
            throw new InvalidOperationException($"{what}: expected one libtorch from {d.Path}, but this process maps {string.Join(", ", mapped)}");
        Directory = d;
    }

    /// <summary>The distinct libtorch_cpu.so files mapped into this process (Linux), oldest first.</summary>
    public static List<string> MappedCpuLibraries() => Mapped(LibTorchDirectory.CpuLibrary);

    /// <summary>
    /// The distinct files named <paramref name="fileName"/> this process maps (/proc/self/maps; Linux), oldest first.
    /// A distribution's copy may carry a version suffix (libtorch_cpu.so.1.13), which counts too.
    /// </summary>
    public static List<string> Mapped(string fileName)
    {
        var found = new List<string>();
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return found;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            int at = path.LastIndexOf("/" + fileName, StringComparison.Ordinal);
            bool match = at >= 0 && (path.Length == at + 1 + fileName.Length || path[at + 1 + fileName.Length] == '.');
            if (match && !found.Contains(path)) found.Add(path);
        }
        return found;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
