using System.Security.Cryptography;
using System.Text;
using Ffn.Model.Volumes;

namespace Ffn.Model.Runtime;

/// <summary>
/// Verdicts on disk, one file per CPU fingerprint + libtorch build + check version + requested configuration +
/// purpose (so an inference verdict and a training one never replace each other), under the user's cache directory
/// ($XDG_CACHE_HOME/ffn, else ~/.cache/ffn) unless a directory is given.
/// </summary>
public sealed class KernelVerdictCache(string directory)
{
    public string Directory { get; } = directory;

    public static string DefaultDirectory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cache");
            return Path.Combine(root, "ffn");
        }
    }

    /// <summary>The purpose, readable in the file name, then a hash of the rest.</summary>
    public static string Key(CpuInfo cpu, string libTorchVersion, string libTorchBuildId, string requested, KernelPurpose purpose)
    {
        var text = string.Join('|', cpu.Fingerprint, libTorchVersion, libTorchBuildId, KernelSelfCheck.Version, requested, purpose.Name());
        return purpose.Name() + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20];
    }

    public string PathFor(string key) => Path.Combine(Directory, $"kernel-check-{key}.json");

    public KernelVerdict? Read(string key)
    {
        var path = PathFor(key);
        try
        {
            return File.Exists(path) ? KernelVerdict.FromJson(File.ReadAllText(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the verdict atomically; returns false (and the reason) where the directory is not writable.</summary>
    public bool TryWrite(string key, KernelVerdict verdict, out string? problem)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            AtomicFile.WriteAllText(PathFor(key), verdict.ToJson());
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or VolumeException)
        {
            problem = e.Message;
            return false;
        }
    }
}
