using System.Globalization;

namespace Ffn.Host.Cli;

/// <summary>Refuses, before any work, an output that cannot fit on its file system.</summary>
public static class DiskSpace
{
    /// <param name="what">Names the cause in the error, e.g. "--original-shape 100,100,100".</param>
    public static void Require(string what, string outputPath, long bytes, string description)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        long free;
        try
        {
            free = new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return; // unknown: let the write itself report a full disk
        }
        if (bytes > free)
            throw new UsageException($"{what}: {description} would take {Human(bytes)}, but {dir} has {Human(free)} free");
    }

    public static string Human(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{v:0.#} {units[u]}");
    }
}
