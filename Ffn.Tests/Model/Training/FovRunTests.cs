using Ffn.Model.Geometry;
using Ffn.Model.Training;

namespace Ffn.Tests.Model.Training;

public class FovRunTests
{
    private static readonly float L05 = MathF.Log(0.05f / 0.95f), L95 = MathF.Log(0.95f / 0.05f);

    [Fact]
    public void Shifts_are_the_26_neighbours_in_google_order()
    {
        var s = FovShifts.For(new Vec3i(1, 2, 3)); // z, y, x deltas
        Assert.Equal(26, s.Length);
        Assert.Equal(26, s.Distinct().Count());
        // google/ffn model.shifts: for dx in (-dx,0,dx): for dy: for dz, skipping (0,0,0); we store (z, y, x).
        Assert.Equal(new Vec3i(-1, -2, -3), s[0]);
        Assert.Equal(new Vec3i(0, -2, -3), s[1]);
        Assert.Equal(new Vec3i(1, -2, -3), s[2]);
        Assert.Equal(new Vec3i(-1, 0, -3), s[3]);
        Assert.Equal(new Vec3i(1, 2, 3), s[25]);
        Assert.DoesNotContain(Vec3i.Zero, s);
    }

    /// <summary>
    /// A 5^3 example, 3^3 FoV, deltas 1, moves (0,0,0), +x, +y, -x. Hand-worked: the first prediction makes the +x
    /// neighbour 3.0 (passes logit(0.9) = 2.197) and the +y neighbour 2.0 (fails); after the +x FoV overwrites both
    /// (+y with 1.0) and the first FoV left -x at -3, the remaining moves are refused.
    /// </summary>
    [Fact]
    public void Moves_follow_the_canvas_as_predictions_overwrite_it()
    {
        var shape = new Vec3i(5, 5, 5);
        var ex = new TrainingExample(0, 0, shape, Ramp(125), new float[125],
            [Vec3i.Zero, new(0, 0, 1), new(0, 1, 0), new(0, 0, -1)]);
        var run = new FovRun(ex, new Vec3i(3, 3, 3), 0.05, 0.95, 0.9);
        Assert.Equal(L95, run.Canvas[62], 5);
        Assert.Equal(124, run.Canvas.Count(v => Math.Abs(v - L05) < 1e-5));

        Assert.True(run.TryNext());
        Assert.Equal(Vec3i.Zero, run.Current);
        float[] img = new float[27], seed = new float[27], lab = new float[27];
        run.CopyFov(img, seed, lab);
        Assert.Equal(L95, seed[13], 5);
        Assert.Equal(Idx(1, 1, 1), img[0]); // FoV corner = example (1,1,1)
        Assert.Equal(Idx(3, 3, 3), img[26]);

        var logits = Enumerable.Repeat(-3f, 27).ToArray();
        logits[14] = 3f; // FoV (1,1,2) = example (2,2,3)
        logits[16] = 2f; // FoV (1,2,1) = example (2,3,2)
        run.Update(logits);
        Assert.Equal(3f, run.Canvas[Idx(2, 2, 3)]);
        Assert.Equal(-3f, run.Canvas[Idx(1, 1, 1)]);
        Assert.Equal(L05, run.Canvas[Idx(0, 0, 0)], 5);

        Assert.True(run.TryNext());
        Assert.Equal(new Vec3i(0, 0, 1), run.Current);
        Assert.Equal(2, run.MovesTried);
        run.CopyFov(img, seed, lab);
        Assert.Equal(3f, seed[13]);
        Assert.Equal(-3f, seed[12]); // example (2,2,2), the old centre
        Assert.Equal(Idx(1, 1, 2), img[0]);
        run.Update(Enumerable.Repeat(1f, 27).ToArray());
        Assert.Equal(1f, run.Canvas[Idx(2, 3, 2)]);

        Assert.False(run.TryNext()); // +y is 1.0 now, -x is -3
        Assert.Equal(4, run.MovesTried);
    }

    [Fact]
    public void Center_move_is_refused_when_init_is_below_the_threshold()
    {
        var ex = new TrainingExample(0, 0, new Vec3i(3, 3, 3), new float[27], new float[27], [Vec3i.Zero]);
        var run = new FovRun(ex, new Vec3i(3, 3, 3), 0.05, 0.8, 0.9);
        Assert.False(run.TryNext());
    }

    private static int Idx(int z, int y, int x) => (z * 5 + y) * 5 + x;

    private static float[] Ramp(int n) => [.. Enumerable.Range(0, n).Select(i => (float)i)];
}
