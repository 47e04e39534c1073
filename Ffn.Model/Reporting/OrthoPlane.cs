using Ffn.Model.Geometry;

namespace Ffn.Model.Reporting;

/// <summary>The three axis-aligned slice orientations: xy (across z), xz (across y), yz (across x).</summary>
public enum OrthoPlane
{
    Xy,
    Xz,
    Yz,
}

public static class OrthoPlanes
{
    public static readonly OrthoPlane[] All = [OrthoPlane.Xy, OrthoPlane.Xz, OrthoPlane.Yz];

    /// <summary>The axis (0 = z, 1 = y, 2 = x) the plane cuts across.</summary>
    public static int NormalAxis(this OrthoPlane p) => p switch
    {
        OrthoPlane.Xy => 0,
        OrthoPlane.Xz => 1,
        _ => 2,
    };

    public static string Name(this OrthoPlane p) => p.ToString().ToLowerInvariant();

    public static char NormalName(this OrthoPlane p) => "zyx"[p.NormalAxis()];

    /// <summary>The one-voxel-thick box of the plane at <paramref name="position"/> along its normal axis.</summary>
    public static Box3 Box(this OrthoPlane p, Vec3i shape, int position)
    {
        if (position < 0 || position >= shape[p.NormalAxis()])
            throw new ArgumentOutOfRangeException(nameof(position), $"{p.Name()} slice at {p.NormalName()}={position} is outside shape {shape}");
        return p switch
        {
            OrthoPlane.Xy => new Box3(new Vec3i(position, 0, 0), new Vec3i(1, shape.Y, shape.X)),
            OrthoPlane.Xz => new Box3(new Vec3i(0, position, 0), new Vec3i(shape.Z, 1, shape.X)),
            _ => new Box3(new Vec3i(0, 0, position), new Vec3i(shape.Z, shape.Y, 1)),
        };
    }

    /// <summary>(width, height) of the picture: xy is x by y, xz is x by z, yz is y by z (z runs down).</summary>
    public static (int Width, int Height) Size(this OrthoPlane p, Vec3i shape) => p switch
    {
        OrthoPlane.Xy => (shape.X, shape.Y),
        OrthoPlane.Xz => (shape.X, shape.Z),
        _ => (shape.Y, shape.Z),
    };
}
