using System.Security.Cryptography;
using System.Text.Json;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>
/// What makes a run directory's block results what they are (input, model bytes, block geometry, inference
/// settings), kept as DIR/run.json. A rerun in the same directory reuses committed blocks only when every field
/// matches; otherwise it is refused (or, with --force, the old results are cleared).
/// </summary>
public sealed class RunManifest
{
    public const string FileName = "run.json";

    public RunManifest(IReadOnlyDictionary<string, string> fields) => Fields = fields;

    public IReadOnlyDictionary<string, string> Fields { get; }

    public static RunManifest For(RunPlan plan)
    {
        var s = plan.Segmentation;
        var f = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["input"] = Path.GetFullPath(s.Image.Path) + ":" + s.Image.Dataset,
            ["input_shape_zyx"] = plan.VolumeShape.ToString(),
            ["model_sha256"] = Sha256(s.ModelPath),
            ["block_shape_zyx"] = plan.BlockShape.ToString(),
            ["overlap_zyx"] = plan.Overlap.ToString(),
            ["context_zyx"] = plan.Context.ToString(),
            ["mask"] = plan.Mask?.ToString() ?? "",
            ["deltas_zyx"] = s.Deltas.ToString(),
            ["normalization"] = s.AutoNormalize ? "per-block" : $"fixed {s.ImageMean:R} {s.ImageStddev:R}",
            ["inference_options"] = JsonSerializer.Serialize(s.Options),
            ["seed_policy"] = s.SeedPolicy,
            ["seed_in_context"] = s.SeedInContext ? "true" : "false",
            ["voxel_size_zyx"] = s.VoxelSize.ToString(),
            ["batch_canvases"] = s.BatchCanvases.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        // Only partial runs record it, so a whole-volume run directory from before --roi still matches.
        if (plan.IsPartial) f["roi_zyx"] = RegionOfInterest.Format(plan.Region);
        return new RunManifest(f);
    }

    /// <summary>The region a run segmented (its outputs' origin in the input), null for the whole input.</summary>
    public Geometry.Box3? Region(Geometry.Vec3i inputShape) =>
        Fields.TryGetValue("roi_zyx", out var roi) ? RegionOfInterest.Parse($"{FileName} roi_zyx", roi, inputShape) : null;

    public static RunManifest? Load(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var d = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path));
            return d == null ? null : new RunManifest(d);
        }
        catch (JsonException e)
        {
            throw new InputException($"{path}: not a run manifest ({e.Message}); remove it or use --force");
        }
    }

    public void Save(string runDir) =>
        AtomicFile.WriteAllText(Path.Combine(runDir, FileName), JsonSerializer.Serialize(Fields, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The first field that differs, or null when the two runs would produce the same blocks.</summary>
    public string? FirstDifference(RunManifest other)
    {
        foreach (var key in Fields.Keys.Union(other.Fields.Keys).Order(StringComparer.Ordinal))
        {
            var a = Fields.GetValueOrDefault(key);
            var b = other.Fields.GetValueOrDefault(key);
            if (a != b) return $"{key} was '{b ?? "(none)"}', now '{a ?? "(none)"}'";
        }
        return null;
    }

    private static string Sha256(string path)
    {
        // A Google checkpoint is a prefix with .index/.data files beside it: hash whichever exist.
        var files = File.Exists(path) ? [path] : Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path) + ".*").Order().ToArray();
        using var sha = SHA256.Create();
        foreach (var f in files)
        {
            var bytes = File.ReadAllBytes(f);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!).ToLowerInvariant();
    }
}
