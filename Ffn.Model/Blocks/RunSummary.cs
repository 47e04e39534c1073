using System.Text.Json;
using System.Text.Json.Nodes;
using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>summary.json of a run: per block its state, attempts, worker, seconds, counters and errors; totals;
/// the stitcher's figures; the settings.</summary>
public static class RunSummary
{
    public const string FileName = "summary.json";

    public static JsonObject Build(BlockScheduler s, double seconds, JsonNode? stitch, JsonNode? settings)
    {
        var blocks = new JsonArray();
        foreach (var b in s.Blocks)
        {
            var o = new JsonObject
            {
                ["index"] = b.Spec.Index,
                ["name"] = b.Spec.Name,
                ["grid_zyx"] = new JsonArray(b.Spec.Grid.Z, b.Spec.Grid.Y, b.Spec.Grid.X),
                ["core_start_zyx"] = Arr(b.Spec.Core.Start.ToArray()),
                ["core_size_zyx"] = Arr(b.Spec.Core.Size.ToArray()),
                ["state"] = b.State.ToString().ToLowerInvariant(),
                ["attempts"] = b.Attempts,
                ["worker"] = b.Worker,
                ["seconds"] = Math.Round(b.Seconds, 3),
                ["result"] = b.ResultPath == null ? null : Path.GetFileName(b.ResultPath),
            };
            if (b.Counters != null) o["counters"] = JsonSerializer.SerializeToNode(b.Counters);
            if (b.Errors.Count > 0) o["errors"] = new JsonArray(b.Errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
            blocks.Add(o);
        }
        var totals = new JsonObject();
        foreach (var b in s.Blocks.Where(b => b.Counters != null))
            foreach (var (k, v) in b.Counters!)
                totals[k] = (totals[k]?.GetValue<long>() ?? 0) + v;
        return new JsonObject
        {
            ["complete"] = s.CountIn(BlockState.Failed) == 0 && s.IsFinished,
            ["seconds"] = Math.Round(seconds, 3),
            ["blocks_total"] = s.Count,
            ["blocks_done"] = s.CountIn(BlockState.Done),
            ["blocks_reused"] = s.CountIn(BlockState.Reused),
            ["blocks_empty"] = s.CountIn(BlockState.Empty),
            ["blocks_failed"] = s.CountIn(BlockState.Failed),
            ["retries"] = s.Blocks.Sum(b => Math.Max(0, b.Attempts - 1)),
            ["counters"] = totals,
            ["stitch"] = stitch,
            ["settings"] = settings,
            ["blocks"] = blocks,
        };
    }

    public static string Write(string runDir, JsonObject summary)
    {
        var path = Path.Combine(runDir, FileName);
        AtomicFile.WriteAllText(path, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private static JsonArray Arr(int[] v) => new(v.Select(x => (JsonNode?)x).ToArray());
}
