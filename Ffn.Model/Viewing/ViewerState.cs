using System.Globalization;
using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Viewing;

/// <summary>
/// The Neuroglancer state `ffn view` opens with: the EM as an image layer, the segmentation as a segmentation layer
/// (with a mesh source when there is one), at the run's voxel size, centred on the volume, four panels. Written as
/// the JSON after "#!" in a Neuroglancer URL.
/// </summary>
public sealed record ViewerState(string ImageSource, string SegmentationSource, string? MeshSource, Vec3i Shape, Vec3i VoxelSizeNm)
{
    /// <summary>Segment ids shown selected (their meshes drawn in the 3D panel).</summary>
    public IReadOnlyList<ulong> Segments { get; init; } = [];

    public JsonObject ToJson()
    {
        var ci = CultureInfo.InvariantCulture;
        JsonArray Dim(int nm) => new(nm * 1e-9, "m");
        var segSources = new JsonArray(SegmentationSource);
        if (MeshSource != null) segSources.Add(MeshSource);
        return new JsonObject
        {
            ["dimensions"] = new JsonObject { ["x"] = Dim(VoxelSizeNm.X), ["y"] = Dim(VoxelSizeNm.Y), ["z"] = Dim(VoxelSizeNm.Z) },
            // Voxel centres: Neuroglancer places voxel i over [i, i+1).
            ["position"] = new JsonArray(Shape.X / 2 + 0.5, Shape.Y / 2 + 0.5, Shape.Z / 2 + 0.5),
            // Voxels per screen pixel: the y-x extent fills a panel of about 400 pixels.
            ["crossSectionScale"] = Math.Max(Shape.Y, Shape.X) / 400.0,
            ["projectionScale"] = Math.Max(Shape.Z, Math.Max(Shape.Y, Shape.X)) * 1.5,
            ["layers"] = new JsonArray(
                new JsonObject { ["type"] = "image", ["source"] = ImageSource, ["name"] = "em" },
                new JsonObject
                {
                    ["type"] = "segmentation",
                    ["source"] = segSources,
                    ["name"] = "segmentation",
                    ["segments"] = new JsonArray([.. Segments.Select(s => (JsonNode)s.ToString(ci))]),
                }),
            ["selectedLayer"] = new JsonObject { ["layer"] = "segmentation", ["visible"] = false },
            ["layout"] = "4panel",
        };
    }

    /// <summary>The URL fragment "#!" + the percent-encoded state, appended to the client's address.</summary>
    public string Fragment => "#!" + Uri.EscapeDataString(ToJson().ToJsonString());
}
