using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Actors.Stitching;

/// <summary>
/// Where the stitched volume goes (either path may be null to skip it), and the OME-Zarr store (null to skip it),
/// completed with the EM of <see cref="Image"/>. <see cref="Origin"/> is where the outputs start in the input (a
/// run over a region of interest): blocks are read in input coordinates and written shifted by it.
/// </summary>
public sealed record StitchOutputs(string? H5Path, string H5Dataset, string? TiffPath, OmeZarrImage? Zarr = null, VolumeSpec? Image = null,
    Ffn.Model.Geometry.Box3? Region = null);
