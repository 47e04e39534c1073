namespace Ffn.Model.DataPrep;

/// <summary>What <see cref="CoordinateBuilder"/> wrote: counts per partition value and the files.</summary>
public sealed record CoordinateSummary(
    long Count,
    long SamplesPerValue,
    IReadOnlyList<(byte Value, long Voxels)> VoxelsPerValue,
    IReadOnlyList<string> VolumeNames,
    IReadOnlyList<string> Files);
