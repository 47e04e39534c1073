using System.Text.Json;
using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// The levels of an OME-NGFF (0.4) multiscale group as its .zattrs lists them: each level's array path and where its
/// voxels lie (<see cref="VoxelTransform"/>, the level's scale and translation composed with the multiscale's own).
/// </summary>
public static class OmeMultiscale
{
    public sealed record Level(string Path, VoxelTransform Transform);

    /// <exception cref="InputException">no .zattrs, or no readable 3-D multiscale in it.</exception>
    public static IReadOnlyList<Level> Read(string groupDir)
    {
        var file = System.IO.Path.Combine(groupDir, ZarrGroup.AttributesFile);
        if (!File.Exists(file)) throw new InputException($"{groupDir}: no {ZarrGroup.AttributesFile} (an unfinished OME-Zarr store; rerun `ffn export RUN_DIR --to zarr`)");
        try
        {
            var m = JsonNode.Parse(File.ReadAllText(file))?["multiscales"]?[0] ?? throw Bad("no multiscales");
            var order = AxisOrder(m["axes"] as JsonArray);
            var outer = Compose(m["coordinateTransformations"] as JsonArray, order, Identity);
            var levels = new List<Level>();
            foreach (var d in m["datasets"] as JsonArray ?? throw Bad("no datasets"))
            {
                var path = d?["path"]?.GetValue<string>() ?? throw Bad("a dataset without a path");
                var own = Compose(d["coordinateTransformations"] as JsonArray, order, Identity);
                levels.Add(new Level(path, Compose(outer, own)));
            }
            if (levels.Count == 0) throw Bad("no datasets");
            return levels;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{file}: unreadable OME multiscale metadata: {e.Message}");
        }

        InputException Bad(string what) => new($"{file}: {what} in the OME multiscale metadata");
    }

    private static readonly VoxelTransform Identity = new(1, 1, 1);

    /// <summary>Where z, y and x are among the axes (listed as z, y, x when the axes are not named).</summary>
    private static int[] AxisOrder(JsonArray? axes)
    {
        if (axes is null) return [0, 1, 2];
        var names = axes.Select(a => a is JsonValue v ? v.GetValue<string>() : a?["name"]?.GetValue<string>()).ToList();
        int[] order = [names.IndexOf("z"), names.IndexOf("y"), names.IndexOf("x")];
        if (names.Count != 3 || order.Any(i => i < 0)) throw new FormatException($"axes {string.Join(",", names)}: expected z, y and x");
        return order;
    }

    /// <summary>Applies each scale and translation in turn to <paramref name="start"/>.</summary>
    private static VoxelTransform Compose(JsonArray? transforms, int[] order, VoxelTransform start)
    {
        var t = start;
        foreach (var node in transforms ?? [])
        {
            var type = node?["type"]?.GetValue<string>();
            double[] Values(string key)
            {
                var a = node![key] as JsonArray ?? throw new FormatException($"a {type} transformation without {key}");
                if (a.Count != 3) throw new FormatException($"a {type} of {a.Count} values for 3 axes");
                return [a[order[0]]!.GetValue<double>(), a[order[1]]!.GetValue<double>(), a[order[2]]!.GetValue<double>()];
            }
            switch (type)
            {
                case "scale":
                    var s = Values("scale");
                    t = new VoxelTransform(t.ScaleZ * s[0], t.ScaleY * s[1], t.ScaleX * s[2], t.TranslateZ * s[0], t.TranslateY * s[1], t.TranslateX * s[2]);
                    break;
                case "translation":
                    var d = Values("translation");
                    t = t with { TranslateZ = t.TranslateZ + d[0], TranslateY = t.TranslateY + d[1], TranslateX = t.TranslateX + d[2] };
                    break;
                case "identity":
                    break;
                default:
                    throw new FormatException($"coordinate transformation '{type}' (ffn reads scale and translation)");
            }
        }
        return t;
    }

    /// <summary><paramref name="inner"/> first, then <paramref name="outer"/>.</summary>
    private static VoxelTransform Compose(VoxelTransform outer, VoxelTransform inner) => new(
        outer.ScaleZ * inner.ScaleZ, outer.ScaleY * inner.ScaleY, outer.ScaleX * inner.ScaleX,
        outer.ScaleZ * inner.TranslateZ + outer.TranslateZ, outer.ScaleY * inner.TranslateY + outer.TranslateY, outer.ScaleX * inner.TranslateX + outer.TranslateX);
}
