using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// Splits a C-order (z, y, x) volume into groups of parallel 1-D lines along one axis, for separable filters.
/// A group holds up to <see cref="Width"/> neighbouring lines whose elements at the same position along the axis are
/// adjacent in memory where possible (z and y axes) — so a filter pass reads whole cache lines instead of striding
/// through memory one element at a time — and groups are independent, so passes run them in parallel.
/// </summary>
internal readonly struct AxisLines
{
    public const int DefaultWidth = 16;

    /// <summary>
    /// Groups sized for a per-group buffer of about 256 KiB of doubles (<paramref name="extraPerLine"/> elements of
    /// padding per line): wide groups make the strided z and y passes stream memory; x lines stay at 16 because
    /// their gather is transposing. Widths are multiples of four SIMD vectors.
    /// </summary>
    public static AxisLines ForBuffer(Vec3i shape, int axis, int extraPerLine)
    {
        // A multiple of four SIMD vectors, the unit the filters' inner loop processes.
        int unit = Math.Max(DefaultWidth, 4 * System.Numerics.Vector<double>.Count);
        if (axis == 2) return new AxisLines(shape, axis, unit);
        int perLine = Math.Max(1, shape[axis] + extraPerLine);
        int width = Math.Clamp(32768 / perLine, unit, 16 * unit) / unit * unit;
        return new AxisLines(shape, axis, width);
    }

    public AxisLines(Vec3i shape, int axis, int width = DefaultWidth)
    {
        if (axis is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(axis));
        Length = shape[axis];
        Outer = axis switch { 0 => 1, 1 => shape.Z, _ => (long)shape.Z * shape.Y };
        Inner = axis switch { 0 => (long)shape.Y * shape.X, 1 => shape.X, _ => 1 };
        Width = width;
        // Lines along x are contiguous rows; group consecutive rows (a transposing gather). Otherwise group
        // consecutive inner positions of one outer index, which are contiguous at every position along the axis.
        GroupsPerOuter = Inner > 1 ? (Inner + width - 1) / width : 0;
        Count = Length == 0 ? 0 : Inner > 1 ? Outer * GroupsPerOuter : (Outer + width - 1) / width;
    }

    /// <summary>Number of elements along the axis.</summary>
    public int Length { get; }
    public long Outer { get; }
    public long Inner { get; }
    public int Width { get; }
    private long GroupsPerOuter { get; }

    /// <summary>Number of groups.</summary>
    public long Count { get; }

    /// <summary>Distance in elements between consecutive positions along the axis.</summary>
    public long Stride => Inner;

    /// <summary>
    /// Group <paramref name="g"/>: element (line j, position k) is at <c>base0 + j * lineStep + k * Stride</c>.
    /// </summary>
    public (long Base0, long LineStep, int Lines) Group(long g)
    {
        if (Inner > 1)
        {
            long o = g / GroupsPerOuter, i0 = g % GroupsPerOuter * Width;
            return (o * Length * Inner + i0, 1, (int)Math.Min(Width, Inner - i0));
        }
        long o0 = g * Width;
        return (o0 * Length, Length, (int)Math.Min(Width, Outer - o0));
    }
}
