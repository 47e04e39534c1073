namespace Ffn.Model.Geometry;

/// <summary>An integer 3-vector in (z, y, x) order: a voxel position, a shape or an offset.</summary>
public readonly record struct Vec3i(int Z, int Y, int X)
{
    public static readonly Vec3i Zero = new(0, 0, 0);
    public static readonly Vec3i One = new(1, 1, 1);

    public static Vec3i Fill(int v) => new(v, v, v);

    public int this[int axis] => axis switch
    {
        0 => Z,
        1 => Y,
        2 => X,
        _ => throw new ArgumentOutOfRangeException(nameof(axis)),
    };

    /// <summary>Number of voxels in a box of this shape (64-bit: volumes exceed int.MaxValue).</summary>
    public long Product => (long)Z * Y * X;

    public bool AllPositive => Z > 0 && Y > 0 && X > 0;

    public static Vec3i operator +(Vec3i a, Vec3i b) => new(a.Z + b.Z, a.Y + b.Y, a.X + b.X);
    public static Vec3i operator -(Vec3i a, Vec3i b) => new(a.Z - b.Z, a.Y - b.Y, a.X - b.X);
    public static Vec3i operator *(Vec3i a, int k) => new(a.Z * k, a.Y * k, a.X * k);
    public static Vec3i operator /(Vec3i a, int k) => new(a.Z / k, a.Y / k, a.X / k);

    public static Vec3i Min(Vec3i a, Vec3i b) => new(Math.Min(a.Z, b.Z), Math.Min(a.Y, b.Y), Math.Min(a.X, b.X));
    public static Vec3i Max(Vec3i a, Vec3i b) => new(Math.Max(a.Z, b.Z), Math.Max(a.Y, b.Y), Math.Max(a.X, b.X));

    public int[] ToArray() => [Z, Y, X];

    /// <summary>Reverses to (x, y, z): only for the file formats and flags that use that order.</summary>
    public Vec3i Reversed() => new(X, Y, Z);

    /// <summary>Parses "a,b,c" (as written, no reordering). Throws FormatException with the offending text.</summary>
    public static Vec3i Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 1 && int.TryParse(parts[0], out var single))
            return Fill(single);
        if (parts.Length != 3 || !int.TryParse(parts[0], out var a) || !int.TryParse(parts[1], out var b)
            || !int.TryParse(parts[2], out var c))
            throw new FormatException($"expected three comma-separated integers, got '{text}'");
        return new Vec3i(a, b, c);
    }

    public override string ToString() => $"{Z},{Y},{X}";
}
