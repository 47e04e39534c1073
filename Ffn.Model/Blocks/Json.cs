using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Blocks;

/// <summary>The small JSON shapes the run files share: z,y,x arrays and name → count objects.</summary>
internal static class Json
{
    public static JsonArray Array(Vec3i v) => new(v.Z, v.Y, v.X);

    public static Vec3i Vec(JsonNode? n) =>
        n is JsonArray a && a.Count == 3 ? new Vec3i((int)a[0]!, (int)a[1]!, (int)a[2]!) : throw new FormatException("expected [z, y, x]");

    public static JsonObject Object(IEnumerable<KeyValuePair<string, long>> counts)
    {
        var o = new JsonObject();
        foreach (var (k, v) in counts) o[k] = v;
        return o;
    }
}
