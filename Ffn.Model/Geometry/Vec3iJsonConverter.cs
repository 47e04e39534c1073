using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ffn.Model.Geometry;

/// <summary>Vec3i as a JSON array [z, y, x].</summary>
public sealed class Vec3iJsonConverter : JsonConverter<Vec3i>
{
    public override Vec3i Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var a = JsonSerializer.Deserialize<int[]>(ref reader, options);
        if (a is not { Length: 3 }) throw new JsonException("expected [z, y, x]");
        return new Vec3i(a[0], a[1], a[2]);
    }

    public override void Write(Utf8JsonWriter writer, Vec3i value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.ToArray(), options);
}
