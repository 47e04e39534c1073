namespace Ffn.Actors.Stitching;

/// <summary>Where the stitched volume goes (either may be null to skip it).</summary>
public sealed record StitchOutputs(string? H5Path, string H5Dataset, string? TiffPath);
