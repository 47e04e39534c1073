using Ffn.Model.Geometry;

namespace Ffn.Model.Training;

/// <summary>
/// FoV-movement training on one example (google/ffn examples.get_example with fixed_offsets): a seed canvas of the
/// example's shape, logit(pad) everywhere and logit(init) at the centre, that the network's own predictions
/// overwrite in place; the FoV visits (0,0,0) and then each neighbour offset whose canvas value at the new centre
/// is at least logit(threshold) at the moment it is considered (so earlier moves' predictions decide later ones).
/// </summary>
public sealed class FovRun
{
    private readonly Vec3i _fov;
    private readonly float _moveLogit;

    public FovRun(TrainingExample example, Vec3i fov, double pad, double init, double moveThreshold, float[]? canvas = null, int movesTried = 0)
    {
        Example = example;
        _fov = fov;
        _moveLogit = Logit(moveThreshold);
        if (canvas is null)
        {
            canvas = new float[example.Shape.Product];
            Array.Fill(canvas, Logit(pad));
            canvas[canvas.Length / 2] = Logit(init);
        }
        else if (canvas.Length != example.Shape.Product)
        {
            throw new ArgumentException($"canvas of {canvas.Length} values for an example of shape {example.Shape}");
        }
        Canvas = canvas;
        MovesTried = movesTried;
    }

    public TrainingExample Example { get; }

    /// <summary>Seed logits over the whole example.</summary>
    public float[] Canvas { get; }

    /// <summary>How many entries of the example's move list have been considered (taken or refused).</summary>
    public int MovesTried { get; private set; }

    public Vec3i Current { get; private set; }

    /// <summary>Advances to the next move that passes the threshold; false when the example is exhausted.</summary>
    public bool TryNext()
    {
        var c = Example.Shape / 2;
        while (MovesTried < Example.Moves.Length)
        {
            var off = Example.Moves[MovesTried++];
            var p = c + off;
            if (Canvas[Index(p)] >= _moveLogit)
            {
                Current = off;
                return true;
            }
        }
        return false;
    }

    /// <summary>The FoV at the current offset: image, seed logits and soft labels, each fov.Product values.</summary>
    public void CopyFov(Span<float> image, Span<float> seed, Span<float> labels)
    {
        Crop(Example.Image, image);
        Crop(Canvas, seed);
        Crop(Example.Labels, labels);
    }

    /// <summary>Writes the updated logits of the current FoV back into the canvas.</summary>
    public void Update(ReadOnlySpan<float> logits)
    {
        var s = Example.Shape;
        var start = s / 2 + Current - _fov / 2;
        int o = 0;
        for (int z = 0; z < _fov.Z; z++)
            for (int y = 0; y < _fov.Y; y++)
            {
                logits.Slice(o, _fov.X).CopyTo(Canvas.AsSpan(Index(start + new Vec3i(z, y, 0)), _fov.X));
                o += _fov.X;
            }
    }

    private void Crop(float[] src, Span<float> dst)
    {
        var start = Example.Shape / 2 + Current - _fov / 2;
        int o = 0;
        for (int z = 0; z < _fov.Z; z++)
            for (int y = 0; y < _fov.Y; y++)
            {
                src.AsSpan(Index(start + new Vec3i(z, y, 0)), _fov.X).CopyTo(dst.Slice(o, _fov.X));
                o += _fov.X;
            }
    }

    private int Index(Vec3i p) => (p.Z * Example.Shape.Y + p.Y) * Example.Shape.X + p.X;

    public static float Logit(double p) => (float)Math.Log(p / (1 - p));
}
