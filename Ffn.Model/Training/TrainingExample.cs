using Ffn.Model.Geometry;

namespace Ffn.Model.Training;

/// <summary>
/// One training example: the (fov + 2*deltas) patch around a coordinate, normalized and augmented; its soft object
/// mask (google/ffn soften_labels of "same object as the centre voxel"); and the FoV offsets to try, (0,0,0) first.
/// Arrays are (z, y, x) C order of <see cref="Shape"/>.
/// </summary>
public sealed record TrainingExample(long Ordinal, int Row, Vec3i Shape, float[] Image, float[] Labels, Vec3i[] Moves);
