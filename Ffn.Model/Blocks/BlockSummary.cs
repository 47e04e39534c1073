using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Blocks;

/// <summary>One block as summary.json records it: how it went, on which worker, in how long, with which counters.</summary>
public sealed record BlockSummary(
    int Index, string Name, Vec3i Grid, Vec3i CoreStart, Vec3i CoreSize, string State, int Attempts, string? Worker, double Seconds,
    string? Result, IReadOnlyDictionary<string, long>? Counters, IReadOnlyList<string> Errors, string? Device = null)
{
    public static BlockSummary Of(BlockRecord b) => new(
        b.Spec.Index, b.Spec.Name, b.Spec.Grid, b.Spec.Core.Start, b.Spec.Core.Size, b.State.ToString().ToLowerInvariant(), b.Attempts, b.Worker,
        Math.Round(b.Seconds, 3), b.ResultPath == null ? null : Path.GetFileName(b.ResultPath),
        b.Counters == null ? null : new Dictionary<string, long>(b.Counters), [.. b.Errors], b.Device);

    public long Counter(string name) => Counters?.GetValueOrDefault(name) ?? 0;

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["index"] = Index,
            ["name"] = Name,
            ["grid_zyx"] = Json.Array(Grid),
            ["core_start_zyx"] = Json.Array(CoreStart),
            ["core_size_zyx"] = Json.Array(CoreSize),
            ["state"] = State,
            ["attempts"] = Attempts,
            ["worker"] = Worker,
            ["device"] = Device,
            ["seconds"] = Seconds,
            ["result"] = Result,
        };
        if (Counters != null) o["counters"] = Json.Object(Counters);
        if (Errors.Count > 0) o["errors"] = new JsonArray([.. Errors.Select(e => (JsonNode?)JsonValue.Create(e))]);
        return o;
    }

    public static BlockSummary FromJson(JsonNode b)
    {
        Dictionary<string, long>? counters = null;
        if (b["counters"] is JsonObject c)
        {
            counters = [];
            foreach (var (k, v) in c) counters[k] = v?.GetValue<long>() ?? 0;
        }
        var errors = b["errors"] is JsonArray e ? e.Select(x => x?.ToString() ?? "").ToList() : [];
        return new BlockSummary(
            (int)b["index"]!, (string?)b["name"] ?? "", Json.Vec(b["grid_zyx"]), Json.Vec(b["core_start_zyx"]), Json.Vec(b["core_size_zyx"]),
            (string?)b["state"] ?? "?", (int?)b["attempts"] ?? 0, (string?)b["worker"], (double?)b["seconds"] ?? 0, (string?)b["result"], counters, errors, (string?)b["device"]);
    }
}
