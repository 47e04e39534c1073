using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Reporting;

/// <summary>One block as summary.json records it.</summary>
public sealed record BlockInfo(
    int Index, string Name, Vec3i Grid, Vec3i CoreStart, Vec3i CoreSize, string State, int Attempts, string? Worker,
    double Seconds, IReadOnlyDictionary<string, long> Counters, IReadOnlyList<string> Errors)
{
    public BlockCategory Category => State switch
    {
        "empty" => BlockCategory.Empty,
        "failed" => BlockCategory.Failed,
        "reused" => BlockCategory.Reused,
        "done" => Attempts > 1 ? BlockCategory.Retried : BlockCategory.Done,
        _ => BlockCategory.Pending,
    };

    public long Counter(string name) => Counters.GetValueOrDefault(name);

    public static BlockInfo FromJson(JsonNode b)
    {
        static Vec3i V(JsonNode? n) => n is JsonArray a && a.Count == 3 ? new Vec3i((int)a[0]!, (int)a[1]!, (int)a[2]!) : throw new FormatException("expected [z, y, x]");
        var counters = new Dictionary<string, long>();
        if (b["counters"] is JsonObject c)
            foreach (var (k, v) in c) counters[k] = v?.GetValue<long>() ?? 0;
        var errors = b["errors"] is JsonArray e ? e.Select(x => x?.ToString() ?? "").ToList() : [];
        return new BlockInfo(
            (int)b["index"]!, (string?)b["name"] ?? "", V(b["grid_zyx"]), V(b["core_start_zyx"]), V(b["core_size_zyx"]),
            (string?)b["state"] ?? "?", (int?)b["attempts"] ?? 0, (string?)b["worker"], (double?)b["seconds"] ?? 0, counters, errors);
    }
}
