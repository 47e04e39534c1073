using System.Text.Json;
using System.Text.Json.Serialization;
using Ffn.Model.Geometry;

namespace Ffn.Model.Network;

/// <summary>
/// Everything needed to rebuild and run a network, saved as a JSON sidecar next to each checkpoint
/// (<c>model.pkl</c> → <c>model.json</c>) so that inference needs no other flags. Shapes are (z, y, x).
/// </summary>
public sealed record ModelConfig
{
    [JsonConverter(typeof(NetworkVariantJsonConverter))]
    public NetworkVariant Architecture { get; init; } = NetworkVariant.Google;

    /// <summary>Google's depth: conv0 plus depth-1 residual modules.</summary>
    public int Depth { get; init; } = 12;
    public int Features { get; init; } = 32;

    [JsonConverter(typeof(Vec3iJsonConverter))]
    public Vec3i FovSize { get; init; } = new(33, 33, 33);

    [JsonConverter(typeof(Vec3iJsonConverter))]
    public Vec3i Deltas { get; init; } = new(8, 8, 8);

    public double ImageMean { get; init; } = 128;
    public double ImageStddev { get; init; } = 33;
    public double PadValue { get; init; } = 0.05;
    public double InitActivation { get; init; } = 0.95;
    public double MoveThreshold { get; init; } = 0.9;
    public double SegmentThreshold { get; init; } = 0.6;
    public long TrainingStep { get; init; }

    /// <summary>Where the weights came from (an imported file, or "ffn train").</summary>
    public string Source { get; init; } = "";

    public static string SidecarPath(string checkpoint) => Path.ChangeExtension(checkpoint, ".json");

    public void Validate()
    {
        if (Depth < 1) throw new InputException($"model depth must be >= 1, got {Depth}");
        if (Features < 1) throw new InputException($"model features must be >= 1, got {Features}");
        if (!FovSize.AllPositive || FovSize.Z % 2 == 0 || FovSize.Y % 2 == 0 || FovSize.X % 2 == 0)
            throw new InputException($"fov size must be positive and odd on every axis, got {FovSize}");
        if (Deltas.Z < 0 || Deltas.Y < 0 || Deltas.X < 0) throw new InputException($"deltas must be >= 0, got {Deltas}");
        foreach (var (name, v) in new[] { ("image mean", ImageMean), ("image stddev", ImageStddev), ("pad value", PadValue),
                     ("init activation", InitActivation), ("move threshold", MoveThreshold), ("segment threshold", SegmentThreshold) })
            if (!double.IsFinite(v)) throw new InputException($"{name} must be a finite number, got {v}");
        if (ImageStddev <= 0) throw new InputException($"image stddev must be > 0, got {ImageStddev}");
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ModelConfig FromJson(string json, string source)
    {
        try
        {
            var c = JsonSerializer.Deserialize<ModelConfig>(json, Json) ?? throw new JsonException("null");
            c.Validate();
            return c;
        }
        catch (JsonException e)
        {
            throw new InputException($"{source}: malformed model config ({e.Message.Split('\n')[0]})");
        }
        catch (InputException e)
        {
            throw new InputException($"{source}: {e.Message}", e);
        }
    }

    public static ModelConfig? TryLoadSidecar(string checkpoint)
    {
        var p = SidecarPath(checkpoint);
        return File.Exists(p) ? FromJson(File.ReadAllText(p), p) : null;
    }
}
