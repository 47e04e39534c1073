using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ffn.Model.Reporting;

/// <summary>What a finished `ffn run` directory says about itself: summary.json (blocks, totals, stitch figures,
/// settings) and run.json (the run's identity). Only these files are read, never the actor pipeline.</summary>
public sealed class RunRecord
{
    public const string SummaryFile = "summary.json", ManifestFile = "run.json", SegmentationFile = "final_result.h5", SegmentationDataset = "segmentation";

    private RunRecord(string dir, JsonObject summary, IReadOnlyDictionary<string, string> manifest, IReadOnlyList<BlockInfo> blocks)
    {
        Directory = dir;
        Summary = summary;
        Manifest = manifest;
        Blocks = blocks;
    }

    public string Directory { get; }
    public JsonObject Summary { get; }
    public IReadOnlyDictionary<string, string> Manifest { get; }
    public IReadOnlyList<BlockInfo> Blocks { get; }

    public string SegmentationPath => Path.Combine(Directory, SegmentationFile);
    public bool Complete => (bool?)Summary["complete"] ?? false;
    public double Seconds => (double?)Summary["seconds"] ?? 0;
    public JsonObject? Stitch => Summary["stitch"] as JsonObject;
    public JsonObject? Settings => Summary["settings"] as JsonObject;

    /// <summary>The input image as PATH:dataset (run.json's, else the summary's settings), or null.</summary>
    public string? Input => Manifest.GetValueOrDefault("input") ?? (string?)Settings?["input"];

    public long Total(string counter) => Summary["counters"]?[counter]?.GetValue<long>() ?? 0;

    public int Count(string key) => (int?)Summary[key] ?? 0;

    public static RunRecord Load(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new InputException($"{dir}: no such run directory");
        var summaryPath = Path.Combine(dir, SummaryFile);
        if (!File.Exists(summaryPath)) throw new InputException($"{dir}: no {SummaryFile} (not a finished ffn run directory)");
        JsonObject summary;
        List<BlockInfo> blocks;
        try
        {
            summary = JsonNode.Parse(File.ReadAllText(summaryPath)) as JsonObject ?? throw new FormatException("not a JSON object");
            blocks = (summary["blocks"] as JsonArray ?? []).Select(b => BlockInfo.FromJson(b!)).ToList();
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new InputException($"{summaryPath}: not an ffn run summary ({e.Message})");
        }
        IReadOnlyDictionary<string, string> manifest = new Dictionary<string, string>();
        var manifestPath = Path.Combine(dir, ManifestFile);
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifestPath)) ?? [];
            }
            catch (JsonException e)
            {
                throw new InputException($"{manifestPath}: not a run manifest ({e.Message})");
            }
        }
        return new RunRecord(Path.GetFullPath(dir), summary, manifest, blocks);
    }
}
