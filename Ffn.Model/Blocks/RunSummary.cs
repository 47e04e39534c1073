using System.Text.Json;
using System.Text.Json.Nodes;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>
/// summary.json of a run, as a record: totals, per block its state, attempts, worker, seconds, counters and errors,
/// the stitcher's figures and the settings. Serialized here and only here; the field names are the file format
/// (older run directories keep reading).
/// </summary>
public sealed record RunSummary(
    bool Complete, double Seconds, int BlocksTotal, int BlocksDone, int BlocksReused, int BlocksEmpty, int BlocksFailed, int Retries,
    IReadOnlyDictionary<string, long> Counters, StitchSummary? Stitch, RunSettings? Settings, IReadOnlyList<BlockSummary> Blocks)
{
    public const string FileName = "summary.json";

    public static RunSummary Of(BlockScheduler s, double seconds, StitchSummary? stitch, RunSettings? settings)
    {
        var totals = new Dictionary<string, long>();
        foreach (var b in s.Blocks.Where(b => b.Counters != null))
            foreach (var (k, v) in b.Counters!)
                totals[k] = totals.GetValueOrDefault(k) + v;
        return new RunSummary(
            s.CountIn(BlockState.Failed) == 0 && s.IsFinished, Math.Round(seconds, 3), s.Count, s.CountIn(BlockState.Done), s.CountIn(BlockState.Reused),
            s.CountIn(BlockState.Empty), s.CountIn(BlockState.Failed), s.Blocks.Sum(b => Math.Max(0, b.Attempts - 1)), totals, stitch, settings,
            [.. s.Blocks.Select(BlockSummary.Of)]);
    }

    public JsonObject ToJson() => new()
    {
        ["complete"] = Complete,
        ["seconds"] = Seconds,
        ["blocks_total"] = BlocksTotal,
        ["blocks_done"] = BlocksDone,
        ["blocks_reused"] = BlocksReused,
        ["blocks_empty"] = BlocksEmpty,
        ["blocks_failed"] = BlocksFailed,
        ["retries"] = Retries,
        ["counters"] = Json.Object(Counters),
        ["stitch"] = Stitch == null ? null : StitchJson(Stitch),
        ["settings"] = Settings == null ? null : SettingsJson(Settings),
        ["blocks"] = new JsonArray([.. Blocks.Select(b => (JsonNode)b.ToJson())]),
    };

    /// <summary>The stitcher's figures under their C# names, as summary.json has always held them.</summary>
    public static JsonObject StitchJson(StitchSummary s) => JsonSerializer.SerializeToNode(s)!.AsObject();

    /// <summary>The manifest's fields, then the workers, the merge and the device.</summary>
    public static JsonObject SettingsJson(RunSettings s)
    {
        var o = new JsonObject();
        foreach (var (k, v) in s.Manifest) o[k] = v;
        o["workers"] = s.Workers;
        o["merge"] = s.Merge.Mode.ToString().ToLowerInvariant();
        o["min_consecutive_pixels"] = s.Merge.MinConsecutiveVoxels;
        o["min_overlap_voxels"] = s.Merge.MinOverlapVoxels;
        o["min_iou"] = s.Merge.MinIou;
        o["device"] = s.Device;
        return o;
    }

    public string Write(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        AtomicFile.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <exception cref="InputException">a file that is not a run summary.</exception>
    public static RunSummary Load(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        try
        {
            return Parse(JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException("not a JSON object"));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new InputException($"{path}: not an ffn run summary ({e.Message})");
        }
    }

    private static RunSummary Parse(JsonObject j)
    {
        var counters = new Dictionary<string, long>();
        if (j["counters"] is JsonObject c)
            foreach (var (k, v) in c) counters[k] = v?.GetValue<long>() ?? 0;
        return new RunSummary(
            (bool?)j["complete"] ?? false, (double?)j["seconds"] ?? 0, (int?)j["blocks_total"] ?? 0, (int?)j["blocks_done"] ?? 0,
            (int?)j["blocks_reused"] ?? 0, (int?)j["blocks_empty"] ?? 0, (int?)j["blocks_failed"] ?? 0, (int?)j["retries"] ?? 0, counters,
            j["stitch"] is JsonObject st ? st.Deserialize<StitchSummary>() : null,
            j["settings"] is JsonObject se ? ParseSettings(se) : null,
            [.. (j["blocks"] as JsonArray ?? []).Select(b => BlockSummary.FromJson(b!))]);
    }

    private static RunSettings ParseSettings(JsonObject o)
    {
        var manifest = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in o)
            if (k is not ("workers" or "merge" or "min_consecutive_pixels" or "min_overlap_voxels" or "min_iou" or "device"))
                manifest[k] = v?.ToString() ?? "";
        var mode = Enum.TryParse<MergeMode>((string?)o["merge"], ignoreCase: true, out var m) ? m : MergeMode.None;
        return new RunSettings(manifest, (int?)o["workers"] ?? 0,
            new MergeOptions(mode, (int?)o["min_consecutive_pixels"] ?? 15, (long?)o["min_overlap_voxels"] ?? 50, (double?)o["min_iou"] ?? 0.3),
            (string?)o["device"] ?? "");
    }
}
