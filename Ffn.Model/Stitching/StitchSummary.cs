namespace Ffn.Model.Stitching;

/// <summary>
/// What a stitch did. Objects before merging: distinct (block, local id) pairs with voxels in their block's Core;
/// after: final ids. PairsMerged: distinct object pairs the merge rule accepted; BoundaryVoxelPairs: voxel pairs it
/// examined (face positions for faces, shared-region voxels for overlap). Seconds: AddSeconds is all time in Add
/// (label tables and merge data), MergeSeconds the part spent extracting and matching merge data plus the final
/// union-find pass, WriteSeconds loading, relabelling and writing the output (of which WriteLoadSeconds in the load callback and
/// WriteOutputSeconds in the output writers, split by format below). PeakSlabBytes: the largest output slab Write held.
/// </summary>
public sealed record StitchSummary(
    int Blocks,
    int EmptyBlocks,
    long Voxels,
    long ObjectsBefore,
    long ObjectsAfter,
    long PairsMerged,
    long BoundaryVoxelPairs,
    double AddSeconds,
    double MergeSeconds,
    double WriteSeconds,
    long PeakPendingBytes,
    long PeakSlabBytes,
    double WriteLoadSeconds,
    double WriteOutputSeconds)
{
    /// <summary>Seconds in each writer during Write (compression included), so formats compare within one run.</summary>
    public double Hdf5Seconds { get; init; }
    public double TiffSeconds { get; init; }
    public double ZarrSeconds { get; init; }

    /// <summary>Seconds completing final_result.zarr after Write: the pyramids, the EM and its pyramid, the metadata.</summary>
    public double ZarrFinishSeconds { get; init; }
}
