using System.Text.Json.Nodes;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>A Zarr v2 group: a folder with .zgroup (and .zattrs for metadata such as OME-NGFF's), holding arrays and groups.</summary>
public static class ZarrGroup
{
    public const string FileName = ".zgroup", AttributesFile = ".zattrs";

    public static bool IsArray(string dir) => File.Exists(Path.Combine(dir, ZarrArrayMeta.FileName));
    public static bool IsGroup(string dir) => File.Exists(Path.Combine(dir, FileName));

    public static void Create(string dir, JsonObject? attributes = null)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), "{\n  \"zarr_format\": 2\n}");
        if (attributes != null) AtomicFile.WriteAllText(Path.Combine(dir, AttributesFile), attributes.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The arrays directly in a group, by name.</summary>
    public static IReadOnlyList<string> Arrays(string dir) =>
        [.. Directory.EnumerateDirectories(dir).Where(IsArray).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];
}
