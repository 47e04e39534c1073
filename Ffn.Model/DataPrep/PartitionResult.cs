using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.DataPrep;

/// <summary>
/// A partition map: uint8 values over the whole label volume, 255 outside <see cref="ValidRegion"/> (within one LOM
/// radius of a face) and wherever excluded or masked; inside, 0 for background, dust and objects left out by a
/// whitelist, and 1 .. thresholds + 1 for object voxels.
/// </summary>
public sealed record PartitionResult(Volume<byte> Partitions, Box3 ValidRegion, PartitionOptions Options)
{
    /// <summary>Distinct labels other than 0 in the input.</summary>
    public int LabelCount { get; init; }

    /// <summary>Objects that received partition values (after dust removal and the whitelist).</summary>
    public int ObjectsPartitioned { get; init; }

    /// <summary>Objects smaller than the minimum size, set to background.</summary>
    public int DustObjects { get; init; }

    /// <summary>
    /// Voxel count of every value inside the valid region, ascending by value and without zero counts:
    /// google/ffn's np.unique(partitions, return_counts=True), stored as the partition_counts attribute.
    /// </summary>
    public IReadOnlyList<(byte Value, long Count)> ValueCounts { get; init; } = [];
}
