using System.Text.RegularExpressions;

namespace Ffn.Model.Runtime;

/// <summary>
/// A folder holding libtorch's shared libraries that a lab already has: a PyTorch install's <c>torch/lib</c> (its
/// version in <c>torch/version.py</c>) or an unpacked libtorch zip's <c>libtorch/lib</c> (its version in
/// <c>libtorch/build-version</c>). Inspecting it reads files only; nothing is loaded.
/// </summary>
public sealed record LibTorchDirectory(string Path, string? Version, string? VersionFile, bool HasCuda)
{
    /// <summary>The libtorch release TorchSharp 0.107's native glue (libLibTorchSharp.so) was compiled against.</summary>
    public const string TorchSharpBuiltFor = "2.10";

    public const string CpuLibrary = "libtorch_cpu.so";
    public static readonly string[] CpuLibraries = ["libc10.so", CpuLibrary, "libtorch.so"];
    public static readonly string[] CudaLibraries = ["libc10_cuda.so", "libtorch_cuda.so"];

    /// <param name="what">How the folder was named, for messages: "--libtorch DIR", "FFN_LIBTORCH=DIR", ...</param>
    public static LibTorchDirectory Inspect(string dir, string what)
    {
        if (!Directory.Exists(dir)) throw new InputException($"{what}: no such directory");
        var full = System.IO.Path.GetFullPath(dir);
        var missing = CpuLibraries.Where(f => !File.Exists(System.IO.Path.Combine(full, f))).ToList();
        if (missing.Count > 0)
            throw new InputException($"{what}: not a libtorch folder ({string.Join(", ", missing)} missing); give a PyTorch install's torch/lib or an unpacked libtorch's lib folder");
        bool cuda = CudaLibraries.All(f => File.Exists(System.IO.Path.Combine(full, f)));
        var (version, file) = ReadVersion(full);
        return new LibTorchDirectory(full, version, file, cuda);
    }

    /// <summary>The version a PyTorch install or a libtorch zip records beside its lib folder (e.g. 2.10.0+cu128), or null.</summary>
    public static (string? Version, string? File) ReadVersion(string libDir)
    {
        var parent = System.IO.Path.GetDirectoryName(System.IO.Path.TrimEndingDirectorySeparator(libDir));
        if (parent is null) return (null, null);
        var py = System.IO.Path.Combine(parent, "version.py");
        if (File.Exists(py))
        {
            var m = Regex.Match(File.ReadAllText(py), @"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline);
            if (m.Success) return (m.Groups[1].Value, py);
        }
        var build = System.IO.Path.Combine(parent, "build-version");
        if (File.Exists(build) && File.ReadAllText(build).Trim() is { Length: > 0 } v) return (v, build);
        return (null, null);
    }

    /// <summary>Whether a version such as 2.10.0+cu128 is one TorchSharp's glue works with (same major.minor).</summary>
    public static bool Compatible(string version)
    {
        var m = Regex.Match(version, @"^(\d+)\.(\d+)(?:\D|$)");
        return m.Success && $"{m.Groups[1].Value}.{m.Groups[2].Value}" == TorchSharpBuiltFor;
    }

    /// <summary>Refuses a version TorchSharp's glue was not built for, with one line naming both and what to do.</summary>
    public static void RequireCompatible(string version, string what)
    {
        if (!Compatible(version))
            throw new InputException(
                $"{what}: libtorch {version} found, but this ffn's TorchSharp 0.107 needs libtorch {TorchSharpBuiltFor}.x; " +
                $"install PyTorch {TorchSharpBuiltFor} (pip install \"torch=={TorchSharpBuiltFor}.*\") or unpack libtorch {TorchSharpBuiltFor} and point there, " +
                "or build TorchSharp's native glue against yours (README, GPUs)");
    }
}
