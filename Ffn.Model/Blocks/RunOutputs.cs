using Ffn.Model.Geometry;

namespace Ffn.Model.Blocks;

/// <summary>
/// What a run writes besides its blocks: final_result.h5 (dataset 'segmentation'), final_result.tif (BigTIFF, as
/// FFN-PyTorch) and final_result.zarr (an OME-Zarr image with the EM and the segmentation as a label image).
/// </summary>
public sealed record RunOutputs(bool Hdf5 = true, bool Tiff = true, bool Zarr = true)
{
    public Vec3i ZarrChunks { get; init; } = new(64, 64, 64);

    /// <summary>A <see cref="Volumes.Zarr.ZarrCompressor"/> name (zstd, zstd:5, gzip, zlib, none).</summary>
    public string ZarrCompressor { get; init; } = "zstd";

    /// <summary>Parses the --outputs list: any of h5, tif, zarr, comma-separated.</summary>
    public static RunOutputs Parse(string list)
    {
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(i => i.ToLowerInvariant()).ToList();
        var unknown = items.FirstOrDefault(i => i is not ("h5" or "tif" or "zarr"));
        if (unknown != null) throw new InputException($"--outputs {list}: '{unknown}' is not one of h5, tif, zarr");
        if (items.Count == 0) throw new InputException($"--outputs {list}: name at least one of h5, tif, zarr");
        return new RunOutputs(items.Contains("h5"), items.Contains("tif"), items.Contains("zarr"));
    }
}
