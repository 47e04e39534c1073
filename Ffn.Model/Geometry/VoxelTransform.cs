namespace Ffn.Model.Geometry;

/// <summary>
/// Where the voxels of one pyramid level lie in physical space, as OME-NGFF's scale and translation say: the centre
/// of voxel (z, y, x) is at Scale * (z, y, x) + Translation (nanometres, z, y, x order). A voxel spans half a Scale
/// either side of its centre (Neuroglancer draws it so).
/// </summary>
public sealed record VoxelTransform(double ScaleZ, double ScaleY, double ScaleX, double TranslateZ = 0, double TranslateY = 0, double TranslateX = 0)
{
    public static VoxelTransform Of(Vec3i voxelSize) => new(voxelSize.Z, voxelSize.Y, voxelSize.X);

    public double Z(double z) => ScaleZ * z + TranslateZ;
    public double Y(double y) => ScaleY * y + TranslateY;
    public double X(double x) => ScaleX * x + TranslateX;

    /// <summary>The physical box a voxel box covers: from the low face of its first voxels to the high face of its last.</summary>
    public (double Z0, double Y0, double X0, double Z1, double Y1, double X1) Bounds(Box3 box) =>
        (Z(box.Start.Z - 0.5), Y(box.Start.Y - 0.5), X(box.Start.X - 0.5), Z(box.End.Z - 0.5), Y(box.End.Y - 0.5), X(box.End.X - 0.5));

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"scale {ScaleZ:R},{ScaleY:R},{ScaleX:R} translation {TranslateZ:R},{TranslateY:R},{TranslateX:R}");
}
