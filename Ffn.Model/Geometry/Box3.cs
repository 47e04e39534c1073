namespace Ffn.Model.Geometry;

/// <summary>An axis-aligned box in (z, y, x): start inclusive, end exclusive (google/ffn's BoundingBox convention).</summary>
public readonly record struct Box3(Vec3i Start, Vec3i Size)
{
    public Vec3i End => Start + Size;
    public long Volume => Size.Product;
    public bool IsEmpty => !Size.AllPositive;

    public static Box3 FromShape(Vec3i shape) => new(Vec3i.Zero, shape);
    public static Box3 FromStartEnd(Vec3i start, Vec3i end) => new(start, end - start);

    public bool Contains(Vec3i p) =>
        p.Z >= Start.Z && p.Y >= Start.Y && p.X >= Start.X && p.Z < End.Z && p.Y < End.Y && p.X < End.X;

    public bool Contains(Box3 other) =>
        other.Start.Z >= Start.Z && other.Start.Y >= Start.Y && other.Start.X >= Start.X
        && other.End.Z <= End.Z && other.End.Y <= End.Y && other.End.X <= End.X;

    /// <summary>The overlap of two boxes; an empty box (size clamped to 0) when they do not meet.</summary>
    public Box3 Intersect(Box3 other)
    {
        var s = Vec3i.Max(Start, other.Start);
        var e = Vec3i.Min(End, other.End);
        return new Box3(s, Vec3i.Max(e - s, Vec3i.Zero));
    }

    public Box3 Grow(Vec3i margin) => new(Start - margin, Size + margin * 2);

    public Box3 Translate(Vec3i by) => new(Start + by, Size);

    /// <summary>Splits this box into tiles of at most <paramref name="tile"/>, in z-major order.</summary>
    public IEnumerable<Box3> Tiles(Vec3i tile)
    {
        if (!tile.AllPositive) throw new ArgumentException($"tile shape must be positive, got {tile}");
        for (int z = Start.Z; z < End.Z; z += tile.Z)
        for (int y = Start.Y; y < End.Y; y += tile.Y)
        for (int x = Start.X; x < End.X; x += tile.X)
        {
            var s = new Vec3i(z, y, x);
            yield return new Box3(s, Vec3i.Min(s + tile, End) - s);
        }
    }

    public override string ToString() => $"[{Start}]+[{Size}]";
}
