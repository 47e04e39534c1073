using Ffn.Model.Geometry;

namespace Ffn.Model.Training;

/// <summary>
/// An axis permutation plus reflections applied to an example cube (google/ffn's PermuteAndReflect): output axis k
/// is input axis <see cref="Permutation"/>[k], reversed when <see cref="Reflect"/>[k]. Axes are (z, y, x).
/// </summary>
public sealed record Augmentation(int[] Permutation, bool[] Reflect)
{
    public static readonly Augmentation Identity = new([0, 1, 2], [false, false, false]);

    public bool IsIdentity => Permutation.SequenceEqual([0, 1, 2]) && !Reflect.Any(r => r);

    internal static Augmentation Draw(ref TrainingRandom rng, TrainingOptions o)
    {
        var reflect = new bool[3];
        if (o.Flip)
            for (int k = 0; k < 3; k++) reflect[k] = rng.Below(2) == 1;
        int[] perm = [0, 1, 2];
        int[] movable = [.. new[] { o.PermuteZ, o.PermuteY, o.PermuteX }.Select((p, i) => (p, i)).Where(t => t.p).Select(t => t.i)];
        if (movable.Length > 1)
        {
            var shuffled = (int[])movable.Clone();
            rng.Shuffle(shuffled);
            for (int k = 0; k < movable.Length; k++) perm[movable[k]] = shuffled[k];
        }
        return new Augmentation(perm, reflect);
    }

    public Vec3i OutputShape(Vec3i inShape) => new(inShape[Permutation[0]], inShape[Permutation[1]], inShape[Permutation[2]]);

    /// <summary>Applies the transform to a (z, y, x) C-order cube of <paramref name="shape"/>.</summary>
    public T[] Apply<T>(T[] src, Vec3i shape)
    {
        if (IsIdentity) return src;
        var outShape = OutputShape(shape);
        long[] inStride = [(long)shape.Y * shape.X, shape.X, 1];
        long s0 = inStride[Permutation[0]], s1 = inStride[Permutation[1]], s2 = inStride[Permutation[2]];
        // Reflection: start at the far end of the axis and walk backwards.
        long b0 = Reflect[0] ? (outShape.Z - 1) * s0 : 0, b1 = Reflect[1] ? (outShape.Y - 1) * s1 : 0, b2 = Reflect[2] ? (outShape.X - 1) * s2 : 0;
        if (Reflect[0]) s0 = -s0;
        if (Reflect[1]) s1 = -s1;
        if (Reflect[2]) s2 = -s2;
        var dst = new T[src.Length];
        int o = 0;
        for (int a = 0; a < outShape.Z; a++)
            for (int b = 0; b < outShape.Y; b++)
            {
                long row = b0 + a * s0 + b1 + b * s1 + b2;
                for (int c = 0; c < outShape.X; c++) dst[o++] = src[row + c * s2];
            }
        return dst;
    }
}
