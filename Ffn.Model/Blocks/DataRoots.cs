using Ffn.Model.Inference;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>
/// The folders a cluster node reads and writes run files under (`ffn node --data-root`). A run's input, mask, model
/// and run directory must each resolve (links followed, ".." taken where the walk really is; see <see cref="RealPath"/>)
/// to a path beneath one of them, or the node refuses the run before it opens or creates anything. What lies beneath a
/// root is trusted: a link made there later, by someone who can write there, is not checked again at each open.
/// </summary>
public sealed class DataRoots
{
    private readonly string[] _roots;

    /// <exception cref="InputException">no folder, or one that does not exist.</exception>
    public DataRoots(IEnumerable<string> folders, string flag = "--data-root")
    {
        _roots = [.. folders.Select(f =>
            Directory.Exists(f) ? RealPath.Of(f) : throw new InputException($"{flag} {f}: no such directory")).Distinct()];
        if (_roots.Length == 0) throw new InputException($"{flag}: at least one folder is required");
    }

    public IReadOnlyList<string> Folders => _roots;

    public override string ToString() => string.Join(", ", _roots);

    /// <summary>The first of a run's files outside the roots, as "FLAG PATH: outside the data roots ...", or null.</summary>
    public string? Refusal(RunPlan plan) => Refusal(plan.Segmentation, plan.RunDir, plan.Mask);

    public string? Refusal(SegmentationSettings segmentation, string runDir, VolumeSpec? mask = null)
    {
        // Named by the submitter's flags, which is where these paths came from.
        (string Flag, string? Path)[] files = [("--input", segmentation.Image.Path), ("--model", segmentation.ModelPath), ("--mask", mask?.Path), ("--output", runDir)];
        foreach (var (flag, path) in files)
        {
            if (path is null) continue;
            string real;
            try
            {
                real = RealPath.Of(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                return $"{flag} {path}: {e.Message}";
            }
            if (!_roots.Any(r => RealPath.IsUnder(real, r)))
                return $"{flag} {path}{(real == path ? "" : $" (really {real})")}: outside the data roots ({this})";
        }
        return null;
    }

    /// <summary>A worker's processors, each made only for a run whose files lie beneath the roots (else the attempt fails).</summary>
    public BlockProcessorFactory Guard(BlockProcessorFactory inner) =>
        (settings, runDir, device) => Refusal(settings, runDir) is { } refusal ? throw new InputException(refusal) : inner(settings, runDir, device);
}
