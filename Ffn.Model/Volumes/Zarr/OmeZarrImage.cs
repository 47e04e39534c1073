using System.Text.Json.Nodes;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// A run's result as an OME-NGFF 0.4 image that Neuroglancer (zarr://), napari and zarr-python open: the EM as the
/// root multiscale image (arrays 0, 1, ... downsampled 2x2x2 by mean) and the segmentation as the label image
/// labels/segmentation (downsampled by the first non-zero label, <see cref="Downsample"/>), with the voxel size
/// (nanometres) as each level's scale and the origin (a run's region of interest) in its translation. Every array is written chunk by chunk, atomically, in z slabs, so memory
/// holds a slab and rewriting a store gives the same bytes. The metadata (.zattrs) is written last.
/// </summary>
public sealed class OmeZarrImage(string storeDir, Vec3i shape, Vec3i voxelSizeNm, Vec3i chunks, ZarrCompressor compressor, Vec3i origin = default)
{
    public const string LabelsName = "segmentation";
    private const int MaxLevels = 8;

    public string StoreDir { get; } = Path.GetFullPath(storeDir);
    public string LabelsDir => Path.Combine(StoreDir, "labels", LabelsName);

    /// <summary>Pyramid levels: halve until the largest axis is at most one chunk (or 8 levels).</summary>
    public int Levels
    {
        get
        {
            int levels = 1;
            var s = shape;
            while (levels < MaxLevels && (s.Z > chunks.Z || s.Y > chunks.Y || s.X > chunks.X) && (s.Z > 1 || s.Y > 1 || s.X > 1))
            {
                s = Downsample.HalfShape(s);
                levels++;
            }
            return levels;
        }
    }

    /// <summary>Creates the groups and level 0 of the segmentation, for the stitcher to write into slab by slab.</summary>
    public ZarrVolumeWriter BeginLabels(DType dtype)
    {
        ZarrGroup.Create(StoreDir);
        ZarrGroup.Create(Path.Combine(StoreDir, "labels"));
        ZarrGroup.Create(LabelsDir);
        return ZarrVolumeWriter.Create(Path.Combine(LabelsDir, "0"), shape, dtype, chunks, compressor);
    }

    /// <summary>Level 0 of the segmentation copied from <paramref name="labels"/> (what `ffn export` does with final_result.h5).</summary>
    public void WriteLabels(IVolumeReader labels, IProgress<string>? progress, CancellationToken ct)
    {
        var w = BeginLabels(labels.Info.DType);
        Copy(labels, w, "export: segmentation", progress, ct);
    }

    /// <summary>
    /// Completes the store once level 0 of the segmentation is written: its pyramid, the EM from <paramref name="image"/>
    /// (level 0 and pyramid), then the OME-NGFF metadata.
    /// </summary>
    public void Finish(IVolumeReader image, IProgress<string>? progress, CancellationToken ct)
    {
        if (image.Info.Shape != shape) throw new InputException($"{image.Source}: shape {image.Info.Shape} differs from the segmentation's {shape}");
        int levels = Levels;
        BuildPyramid(LabelsDir, levels, Downsample.Rule.FirstNonZero, "labels", progress, ct);
        Copy(image, ZarrVolumeWriter.Create(Path.Combine(StoreDir, "0"), shape, image.Info.DType, chunks, compressor), "zarr: image", progress, ct);
        BuildPyramid(StoreDir, levels, Downsample.Rule.Mean, "image", progress, ct);
        AtomicFile.WriteAllText(Path.Combine(LabelsDir, ZarrGroup.AttributesFile), Json(new JsonObject
        {
            ["multiscales"] = new JsonArray(Multiscale(LabelsName, levels, "first non-zero label of each 2x2x2 cell")),
            ["image-label"] = new JsonObject { ["version"] = "0.4", ["source"] = new JsonObject { ["image"] = "../../" } },
        }));
        AtomicFile.WriteAllText(Path.Combine(StoreDir, "labels", ZarrGroup.AttributesFile), Json(new JsonObject { ["labels"] = new JsonArray(LabelsName) }));
        AtomicFile.WriteAllText(Path.Combine(StoreDir, ZarrGroup.AttributesFile), Json(new JsonObject
        {
            ["multiscales"] = new JsonArray(Multiscale("raw", levels, "mean of each 2x2x2 cell")),
        }));
    }

    private JsonObject Multiscale(string name, int levels, string method)
    {
        var datasets = new JsonArray();
        for (int l = 0; l < levels; l++)
        {
            double f = 1 << l;
            // Level l's voxel (0,0,0) is the centre of a 2^l cell of level 0: shifted by half a cell less half a voxel,
            // and by the origin, so a region of interest lands where it lies in the input.
            datasets.Add(new JsonObject
            {
                ["path"] = l.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["coordinateTransformations"] = new JsonArray(
                    new JsonObject { ["type"] = "scale", ["scale"] = new JsonArray(voxelSizeNm.Z * f, voxelSizeNm.Y * f, voxelSizeNm.X * f) },
                    new JsonObject { ["type"] = "translation", ["translation"] = new JsonArray(
                        voxelSizeNm.Z * (origin.Z + (f - 1) / 2), voxelSizeNm.Y * (origin.Y + (f - 1) / 2), voxelSizeNm.X * (origin.X + (f - 1) / 2)) }),
            });
        }
        JsonObject Axis(string n) => new() { ["name"] = n, ["type"] = "space", ["unit"] = "nanometer" };
        return new JsonObject
        {
            ["version"] = "0.4",
            ["name"] = name,
            ["axes"] = new JsonArray(Axis("z"), Axis("y"), Axis("x")),
            ["datasets"] = datasets,
            ["metadata"] = new JsonObject { ["method"] = method, ["written_by"] = "ffn" },
        };
    }

    /// <summary>Copies a volume into level 0 in z slabs of whole chunks.</summary>
    private void Copy(IVolumeReader source, ZarrVolumeWriter target, string what, IProgress<string>? progress, CancellationToken ct)
    {
        var s = source.Info.Shape;
        int depth = SlabDepth(s, source.Info.DType.Size());
        var meter = new DataPrep.ProgressMeter(what, "z slices", s.Z, progress);
        for (int z = 0; z < s.Z; z += depth)
        {
            ct.ThrowIfCancellationRequested();
            int d = Math.Min(depth, s.Z - z);
            target.Write(source.Read(new Box3(new Vec3i(z, 0, 0), new Vec3i(d, s.Y, s.X))));
            meter.Add(d);
        }
    }

    /// <summary>Levels 1.. of a multiscale group from its level 0, each from the one before, in z slabs of whole chunks.</summary>
    private void BuildPyramid(string groupDir, int levels, Downsample.Rule rule, string what, IProgress<string>? progress, CancellationToken ct)
    {
        for (int l = 1; l < levels; l++)
        {
            using var below = ZarrVolumeReader.Open(Path.Combine(groupDir, (l - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), what);
            var s = below.Info.Shape;
            var w = ZarrVolumeWriter.Create(Path.Combine(groupDir, l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Downsample.HalfShape(s), below.Info.DType, chunks, compressor);
            int depth = SlabDepth(s, below.Info.DType.Size()) * 2; // even, so cells never straddle slabs
            for (int z = 0; z < s.Z; z += depth)
            {
                ct.ThrowIfCancellationRequested();
                w.Write(Downsample.Apply(below.Read(new Box3(new Vec3i(z, 0, 0), new Vec3i(Math.Min(depth, s.Z - z), s.Y, s.X))), rule));
            }
            progress?.Report($"zarr: {what} level {l} of {levels - 1}: {Downsample.HalfShape(s)}");
        }
    }

    /// <summary>A slab depth of whole chunks holding at most about 256 MiB of the cross-section.</summary>
    private int SlabDepth(Vec3i s, int itemSize)
    {
        long slice = (long)s.Y * s.X * itemSize;
        int chunksDeep = (int)Math.Max(1, (256L << 20) / Math.Max(1, slice * chunks.Z));
        return chunks.Z * chunksDeep;
    }

    private static string Json(JsonObject o) => o.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
}
