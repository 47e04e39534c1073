using Ffn.Model.Geometry;

namespace Ffn.Model.Inference.MovementPolicies;

/// <summary>
/// Semantics of google/ffn movement.py FaceMaxMovementPolicy: after each prediction, the maximum logit on each of
/// the 6 faces of the central (2*deltas+1) cuboid proposes the FoV position through it; proposals are queued in
/// descending (score, offset) order; positions are deduplicated on a grid of step deltas around the seed.
/// </summary>
public sealed class FaceMaxMovementPolicy
{
    private readonly Queue<ScoredMove> _queue = new();
    private readonly HashSet<Vec3i> _done = new();
    private Vec3i _start;

    public FaceMaxMovementPolicy(Vec3i deltas, double scoreThreshold)
    {
        Deltas = deltas;
        ScoreThreshold = scoreThreshold;
    }

    public Vec3i Deltas { get; }

    /// <summary>Logit a face maximum must reach (float64 logit of the float32 move threshold, as Google's).</summary>
    public double ScoreThreshold { get; }

    public int Count => _queue.Count;

    public void Reset(Vec3i start)
    {
        _queue.Clear();
        _done.Clear();
        _start = start;
    }

    public void Append(ScoredMove move) => _queue.Enqueue(move);

    /// <summary>Pops until a position that is not yet visited (on the delta grid) and valid for the canvas.</summary>
    public bool TryNext(Func<Vec3i, bool> isValid, out Vec3i pos)
    {
        while (_queue.Count > 0)
        {
            var p = _queue.Dequeue().Position;
            if (_done.Contains(Quantize(p))) continue;
            if (isValid(p)) { pos = p; return true; }
        }
        pos = default;
        return false;
    }

    /// <summary>Grid cell of a position relative to the seed: (rel + deltas/2) floor-div deltas (deltas of 0 act as 1).</summary>
    public Vec3i Quantize(Vec3i pos)
    {
        var rel = pos - _start;
        static int Q(int r, int d) => (int)Math.Floor((r + d / 2) / (double)Math.Max(d, 1));
        return new Vec3i(Q(rel.Z, Deltas.Z), Q(rel.Y, Deltas.Y), Q(rel.X, Deltas.X));
    }

    /// <summary>Records the evaluated position and queues moves through the faces of its prediction.</summary>
    public void Update(ReadOnlySpan<float> logits, Vec3i fov, Vec3i position)
    {
        _done.Add(Quantize(position));
        var moves = ScoredMoveOffsets(Deltas, logits, fov, ScoreThreshold);
        // Descending by score, then by offset tuple, as Python's sorted(..., reverse=True) on (score, offset).
        moves.Sort((a, b) =>
        {
            int c = b.Score.CompareTo(a.Score);
            if (c != 0) return c;
            c = b.Position.Z.CompareTo(a.Position.Z);
            if (c != 0) return c;
            c = b.Position.Y.CompareTo(a.Position.Y);
            return c != 0 ? c : b.Position.X.CompareTo(a.Position.X);
        });
        foreach (var m in moves) _queue.Enqueue(new ScoredMove(m.Score, position + m.Position));
    }

    /// <summary>
    /// Semantics of google/ffn get_scored_move_offsets: for each axis with a non-zero delta and each sign, the
    /// face at ±delta of the central cuboid; its first maximum (C order) if it reaches the threshold, as an offset
    /// relative to the FoV centre. Duplicates (same score and offset) are dropped.
    /// </summary>
    public static List<ScoredMove> ScoredMoveOffsets(Vec3i deltas, ReadOnlySpan<float> map, Vec3i shape, double threshold)
    {
        var result = new List<ScoredMove>();
        var c = new Vec3i(shape.Z / 2, shape.Y / 2, shape.X / 2);
        for (int axis = 0; axis < 3; axis++)
        {
            int d = deltas[axis];
            if (d == 0) continue;
            foreach (int off in new[] { -d, d })
            {
                float best = float.NegativeInfinity;
                Vec3i bestRel = default;
                bool any = false;
                // Iterate the face in C order of its two remaining axes so the first maximum wins, as argmax.
                int a0 = axis == 0 ? 1 : 0, a1 = axis == 2 ? 1 : 2;
                for (int i = -deltas[a0]; i <= deltas[a0]; i++)
                for (int j = -deltas[a1]; j <= deltas[a1]; j++)
                {
                    var rel = axis switch
                    {
                        0 => new Vec3i(off, i, j),
                        1 => new Vec3i(i, off, j),
                        _ => new Vec3i(i, j, off),
                    };
                    float v = map[((c.Z + rel.Z) * shape.Y + c.Y + rel.Y) * shape.X + c.X + rel.X];
                    if (!any || v > best)
                    {
                        best = v;
                        bestRel = rel;
                        any = true;
                    }
                }
                if (!(best >= threshold)) continue;
                var move = new ScoredMove(best, bestRel);
                if (!result.Contains(move)) result.Add(move);
            }
        }
        return result;
    }
}
