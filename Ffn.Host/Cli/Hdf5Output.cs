using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;

namespace Ffn.Host.Cli;

/// <summary>
/// Our HDF5 writers make a whole new file, so writing into an existing one would delete whatever else it holds
/// (google/ffn's compute_partitions does exactly that). A file is replaced only when it holds nothing but the
/// datasets about to be written.
/// </summary>
public static class Hdf5Output
{
    public static void CheckReplaceable(string flag, string path, params string[] written)
    {
        if (!File.Exists(path)) return;
        IReadOnlyList<string> held;
        try
        {
            held = Hdf5VolumeReader.ListDatasets(path);
        }
        catch (VolumeException e)
        {
            throw new UsageException($"{flag} {path}: exists and is not an HDF5 file ffn can read ({e.Message}); choose another file");
        }
        var others = held.Where(d => !written.Any(w => w.TrimStart('/') == d.TrimStart('/'))).ToList();
        if (others.Count > 0)
            throw new UsageException($"{flag} {path}: already holds dataset{(others.Count > 1 ? "s" : "")} {string.Join(", ", others.Take(5))}{(others.Count > 5 ? ", ..." : "")}, " +
                "which writing a new file would delete; choose another file");
    }
}
