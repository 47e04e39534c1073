namespace Ffn.Model.Stitching;

/// <summary>How objects cut by block boundaries are joined.</summary>
public enum MergeMode
{
    /// <summary>Unique ids only: an object cut by a boundary stays split.</summary>
    None,

    /// <summary>
    /// FFN-PyTorch's rule on every block face (z, y and x): labels a | b facing each other across a face merge when
    /// a runs at least MinConsecutiveVoxels inward on its side and b on its side; transitive (union-find).
    /// </summary>
    Faces,

    /// <summary>Blocks overlap (LabelBox ⊋ Core); objects of neighbouring blocks that cover the same voxels of the
    /// shared region (count and IoU thresholds) merge.</summary>
    Overlap,
}
