namespace Ffn.Model.DataPrep;

/// <summary>
/// A sphere whose voxels a partition map marks as excluded (255): centre (z, y, x) and radius in voxels, in the
/// coordinates of the whole label volume. google/ffn takes these as (x, y, z, r); see <see cref="FromXyzr"/>.
/// </summary>
public readonly record struct ExclusionRegion(double Z, double Y, double X, double Radius)
{
    public static ExclusionRegion FromXyzr(double x, double y, double z, double r) => new(z, y, x, r);

    /// <summary>google/ffn's test: squared distance &lt;= r², in float64.</summary>
    public bool Contains(int z, int y, int x)
    {
        double dz = z - Z, dy = y - Y, dx = x - X;
        return dx * dx + dy * dy + dz * dz <= Radius * Radius;
    }
}
