using System.Diagnostics;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;

namespace Ffn.Model.Inference;

/// <summary>
/// Google's segment_all over a <see cref="Canvas"/>'s object lanes: reads seeds from the policy, starts each valid
/// one in a free lane, and steps all growing objects in lockstep rounds whose FoV predictions go to the network as
/// one batch, committing each object when it stops. With one lane this is Google's loop step for step. With K lanes
/// a seed starts only when it is far from every growing object and from every earlier waiting seed, so nearby
/// objects are still grown in seed order, and objects are committed in a fixed order: results are deterministic.
/// </summary>
internal sealed class ObjectScheduler(Canvas canvas)
{
    /// <summary>With several lanes: how many seeds ahead the scheduler looks for one far from the growing objects.</summary>
    public const int Lookahead = 64;

    private readonly IReadOnlyList<ObjectLane> _lanes = canvas.Lanes;

    // Seeds read but not started: at most one with one lane, up to Lookahead with several.
    private readonly List<(int Index, Vec3i Pos)> _pending = [];
    private bool _exhausted;

    public void Run(ISeedPolicy seeds, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            StartObjects(seeds);
            var active = _lanes.Where(l => l.Active).ToList();
            if (active.Count == 0) break;

            // One lockstep round: every growing object takes its next FoV step; all go to the network together.
            var stepping = new List<(ObjectLane Lane, Vec3i Pos)>();
            foreach (var lane in active)
            {
                if (canvas.NextStep(lane, out var pos)) stepping.Add((lane, pos));
                else canvas.Commit(lane);
            }
            if (stepping.Count > 0) canvas.Step(stepping);
        }
        canvas.Counters.Increment(Counters.PredictMs, (long)canvas.PredictTime.TotalMilliseconds);
        canvas.Counters.Increment(Counters.SegmentAllMs, clock.ElapsedMilliseconds);
    }

    /// <summary>Starts waiting seeds in free lanes while both remain; with one lane, one seed (grown to the end first, exactly as Google).</summary>
    private void StartObjects(ISeedPolicy seeds)
    {
        while (_lanes.Any(l => !l.Active))
        {
            ReadAhead(seeds);
            int pick = FirstStartable();
            if (pick < 0) return;
            var (seedIndex, pos) = _pending[pick];
            _pending.RemoveAt(pick);

            if (!canvas.IsValidPos(pos, ignoreMoveThreshold: true)) continue;
            if (_lanes.All(l => !l.Active)) canvas.BetweenObjects?.Invoke(canvas, seedIndex);
            if (canvas.TooCloseToSegment(pos)) continue;
            canvas.Counters.Increment(Counters.SeedsTried);
            canvas.Begin(_lanes.First(l => !l.Active), pos);
            if (_lanes.Count == 1) return;
        }
    }

    private void ReadAhead(ISeedPolicy seeds)
    {
        while (!_exhausted && _pending.Count < (_lanes.Count == 1 ? 1 : Lookahead))
        {
            var seedClock = Stopwatch.StartNew();
            int index = seeds.Position;
            _exhausted = !seeds.TryNext(out var next);
            canvas.Counters.Increment(Counters.SeedPolicyMs, seedClock.ElapsedMilliseconds);
            if (_exhausted) break;
            canvas.Counters.Increment(Counters.SeedsProposed);
            _pending.Add((index, next));
        }
    }

    /// <summary>The first waiting seed far from every growing object and from every earlier waiting seed, or -1.</summary>
    private int FirstStartable()
    {
        for (int j = 0; j < _pending.Count; j++)
        {
            var candidate = _pending[j].Pos;
            if (_lanes.Any(l => l.Active && Near(l, candidate))) continue;
            bool nearEarlier = false;
            for (int e = 0; e < j && !nearEarlier; e++) nearEarlier = NearSeed(_pending[e].Pos, candidate);
            if (!nearEarlier) return j;
        }
        return -1;
    }

    private bool NearSeed(Vec3i a, Vec3i b)
    {
        var reach = canvas.Reach;
        var d = a - b;
        return Math.Abs(d.Z) <= reach.Z && Math.Abs(d.Y) <= reach.Y && Math.Abs(d.X) <= reach.X;
    }

    /// <summary>A seed this close to a growing object could be claimed by it: wait until that object is committed.</summary>
    private bool Near(ObjectLane lane, Vec3i pos)
    {
        var reach = canvas.Reach;
        return Box3.FromStartEnd(lane.MinPos - reach, lane.MaxPos + reach + Vec3i.One).Contains(pos);
    }
}
