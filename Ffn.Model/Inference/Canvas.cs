using System.Diagnostics;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.MovementPolicies;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference;

/// <summary>
/// The state of flood-filling one subvolume (semantics of google/ffn inference.py Canvas, commit 6f61f6e): a
/// float32 logit canvas for the object being grown (NaN = never predicted), the int32 segmentation (negative =
/// seed markers of failed attempts), and the growth of one object: its FoV steps and Google's post-processing that
/// commits it (<see cref="SegmentAt"/>). <see cref="SegmentAll"/> grows all objects from a seed policy with
/// <see cref="ObjectScheduler"/>, which drives one such growth per object lane. Deterministic for a deterministic
/// predictor.
/// </summary>
public sealed class Canvas
{
    private readonly IFovPredictor _predictor;
    private readonly InferenceOptions _options;
    private readonly float _initLogit, _padLogit, _moveLogit, _segLogit;
    private readonly Vec3i _fov, _margin, _deltas;
    private readonly ObjectLane[] _lanes;
    private readonly Stopwatch _predictClock = new();
    private CancellationToken _cancel;
    private int _maxId;
    private int _started; // objects begun: the attempt number of FoV trace rows

    /// <param name="batchCanvases">
    /// Objects grown at once (--batch-canvases), one object lane each: their FoV steps go to the network as one
    /// batch (see <see cref="ObjectScheduler"/>); with 1 the canvas follows google/ffn step for step.
    /// </param>
    public Canvas(Volume<float> image, IFovPredictor predictor, Vec3i deltas, InferenceOptions options, bool keepTrace = false, int batchCanvases = 1)
    {
        options.Validate();
        Image = image;
        Shape = image.Shape;
        _predictor = predictor;
        _options = options;
        _fov = predictor.FovSize;
        _margin = _fov / 2;
        if (Shape.Z < _fov.Z || Shape.Y < _fov.Y || Shape.X < _fov.X)
            throw new InputException($"subvolume {Shape} is smaller than the network's FoV {_fov}");
        // Google stores the logits in float32 proto fields: logit in float64, then rounded to float32.
        _initLogit = (float)Logit((float)options.InitActivation);
        _padLogit = (float)Logit((float)options.PadValue);
        _moveLogit = (float)Logit((float)options.MoveThreshold);
        _segLogit = (float)Logit((float)options.SegmentThreshold);
        if (batchCanvases < 1) throw new InputException($"--batch-canvases must be >= 1, got {batchCanvases}");
        _deltas = deltas;
        // The movement policy gets logit(float32 threshold) kept in float64 (movement.get_policy_fn).
        _lanes = Enumerable.Range(0, batchCanvases)
            .Select(_ => new ObjectLane(Shape, _fov, new FaceMaxMovementPolicy(deltas, Logit((float)options.MoveThreshold)))).ToArray();
        Segmentation = new Volume<int>(Shape);
        if (keepTrace) Trace = new List<FovStep>();
        if (options.KeepProbabilityMap) Probability = new Volume<byte>(Shape);
    }

    public Volume<float> Image { get; }
    public Vec3i Shape { get; }

    /// <summary>Positive: segment ids in creation order; negative: markers of seeds that failed; 0: unlabelled.</summary>
    public Volume<int> Segmentation { get; }

    /// <summary>uint8-quantized object probability of accepted voxels (when KeepProbabilityMap).</summary>
    public Volume<byte>? Probability { get; }

    public Counters Counters { get; } = new();
    public Dictionary<int, SeedAttempt> Origins { get; } = new();
    public List<SeedAttempt> Attempts { get; } = new();
    public List<FovStep>? Trace { get; }

    /// <summary>
    /// Called between objects (the only points where the state is fully described by Segmentation etc.), with the
    /// seed-list index to resume from: the seed about to be started.
    /// </summary>
    public Action<Canvas, int>? BetweenObjects { get; set; }

    /// <summary>Called after every network evaluation, for progress reporting.</summary>
    public Action<Canvas>? AfterStep { get; set; }

    public TimeSpan PredictTime => _predictClock.Elapsed;

    public static double Logit(double p) => Math.Log(p / (1 - p));

    /// <summary>The object lanes (--batch-canvases); lane 0 serves <see cref="SegmentAt"/> and <see cref="UpdateAt"/>.</summary>
    internal IReadOnlyList<ObjectLane> Lanes => _lanes;

    /// <summary>How far from its FoV centres a growing object can still reach within two steps: FoV + 2 deltas.</summary>
    internal Vec3i Reach => _fov + _deltas * 2;

    private long Index(Vec3i p) => ((long)p.Z * Shape.Y + p.Y) * Shape.X + p.X;

    /// <summary>Google's is_valid_pos for the first (or only) object lane.</summary>
    public bool IsValidPos(Vec3i pos, bool ignoreMoveThreshold = false) => IsValidPos(_lanes[0], pos, ignoreMoveThreshold);

    /// <summary>Google's is_valid_pos: seed logit at the move threshold (unless starting), FoV inside, not segmented.</summary>
    private bool IsValidPos(ObjectLane lane, Vec3i pos, bool ignoreMoveThreshold)
    {
        if (!ignoreMoveThreshold && !(lane.Seed[Index(pos)] >= _moveLogit))
        {
            Counters.Increment(Counters.SkipThreshold);
            return false;
        }
        var low = pos - _margin;
        var high = pos + _margin;
        if (low.Z < 0 || low.Y < 0 || low.X < 0 || high.Z >= Shape.Z || high.Y >= Shape.Y || high.X >= Shape.X)
        {
            Counters.Increment(Counters.SkipInvalidPos);
            return false;
        }
        if (Segmentation.Data[Index(pos)] > 0)
        {
            Counters.Increment(Counters.SkipInvalidPos);
            return false;
        }
        return true;
    }

    /// <summary>Copies the FoV's image and seed (NaN = pad value) into the lane's buffers.</summary>
    private void Prepare(ObjectLane lane, Vec3i pos)
    {
        lane.Box = new Box3(pos - _margin, _fov);
        CopyOut(Image.Data, lane.Box, lane.FovImage);
        CopyOut(lane.Seed, lane.Box, lane.FovOld);
        for (int i = 0; i < lane.FovSeed.Length; i++) lane.FovSeed[i] = float.IsNaN(lane.FovOld[i]) ? _padLogit : lane.FovOld[i];
    }

    /// <summary>Runs the network once for every lane given, as one batch.</summary>
    private void Predict(IReadOnlyList<ObjectLane> lanes)
    {
        _predictClock.Start();
        if (lanes.Count == 1) _predictor.Predict(lanes[0].FovImage, lanes[0].FovSeed, lanes[0].FovLogits);
        else _predictor.PredictBatch(lanes.Select(l => l.FovImage).ToArray(), lanes.Select(l => l.FovSeed).ToArray(), lanes.Select(l => l.FovLogits).ToArray());
        _predictClock.Stop();
        Counters.Increment(Counters.NetworkEvaluations, lanes.Count);
    }

    /// <summary>After the prediction: self-consistency re-runs, the disconnected-seed bias, write-back.</summary>
    private ReadOnlySpan<float> Finish(ObjectLane lane)
    {
        if (_options.DiffThreshold > 0)
        {
            // FFN-PyTorch's self-consistency: feed the prediction back until it stops changing.
            for (int it = 1; it < _options.MaxSelfConsistentIters; it++)
            {
                double diff = 0;
                for (int i = 0; i < lane.FovSeed.Length; i++) diff += Math.Abs(Expit(lane.FovSeed[i]) - Expit(lane.FovLogits[i]));
                if (diff / lane.FovSeed.Length < _options.DiffThreshold) break;
                lane.FovLogits.CopyTo(lane.FovSeed, 0);
                Counters.Increment(Counters.SelfConsistentReruns);
                Predict([lane]);
            }
        }

        if (_options.DiscoSeedThreshold >= 0)
        {
            long above = 0;
            foreach (var v in lane.FovLogits) if (v >= _moveLogit) above++;
            if ((double)above / lane.FovLogits.Length > _options.DiscoSeedThreshold)
            {
                // Voxels that were confidently outside (logit < logit(0.5) = 0) may not be pulled in.
                for (int i = 0; i < lane.FovLogits.Length; i++)
                {
                    float old = lane.FovOld[i];
                    if (old < 0f && lane.FovLogits[i] > old) lane.FovLogits[i] = old;
                }
            }
        }
        CopyIn(lane.FovLogits, lane.Box, lane.Seed);
        lane.Dirty = lane.Dirty.IsEmpty ? lane.Box : Union(lane.Dirty, lane.Box);
        return lane.FovLogits;
    }

    /// <summary>Predicts the object at the FoV centred on <paramref name="pos"/> and writes the logits into the canvas.</summary>
    public ReadOnlySpan<float> UpdateAt(Vec3i pos)
    {
        var lane = _lanes[0];
        Prepare(lane, pos);
        Predict([lane]);
        return Finish(lane);
    }

    /// <summary>Starts growing a new object from <paramref name="start"/> in <paramref name="lane"/>.</summary>
    internal void Begin(ObjectLane lane, Vec3i start)
    {
        if (!lane.Dirty.IsEmpty) Fill(lane.Seed, lane.Dirty, float.NaN);
        lane.Dirty = new Box3(start, Vec3i.One);
        lane.Seed[Index(start)] = _initLogit;
        lane.Movement.Reset(start);
        lane.Start = start;
        lane.MinPos = lane.MaxPos = start;
        lane.Iterations = 0;
        lane.Active = true;
        lane.Attempt = _started++;
        if (lane.Movement.Count == 0) lane.Movement.Append(new ScoredMove((float)(lane.Movement.ScoreThreshold * 2), start));
    }

    /// <summary>Next FoV position of a growing object, or false when it is done (queue empty or seed too weak).</summary>
    internal bool NextStep(ObjectLane lane, out Vec3i pos)
    {
        if (!lane.Movement.TryNext(p => IsValidPos(lane, p, false), out pos)) return false;
        _cancel.ThrowIfCancellationRequested();
        if (!(lane.Seed[Index(lane.Start)] >= _moveLogit))
        {
            Counters.Increment(Counters.SeedGotTooWeak);
            return false;
        }
        return true;
    }

    private void AfterPrediction(ObjectLane lane, Vec3i pos)
    {
        var logits = Finish(lane);
        lane.MinPos = Vec3i.Min(lane.MinPos, pos);
        lane.MaxPos = Vec3i.Max(lane.MaxPos, pos);
        lane.Iterations++;
        Trace?.Add(new FovStep(lane.Attempt, pos));
        lane.Movement.Update(logits, _fov, pos);
        AfterStep?.Invoke(this);
    }

    /// <summary>One FoV step of each growing object given (lane, FoV centre), all predicted as one batch.</summary>
    internal void Step(IReadOnlyList<(ObjectLane Lane, Vec3i Pos)> stepping)
    {
        foreach (var (lane, pos) in stepping) Prepare(lane, pos);
        Predict(stepping.Select(t => t.Lane).ToList());
        foreach (var (lane, pos) in stepping) AfterPrediction(lane, pos);
    }

    /// <summary>Grows one object from <paramref name="start"/>; returns the number of network evaluations.</summary>
    public int SegmentAt(Vec3i start)
    {
        var lane = _lanes[0];
        Begin(lane, start);
        while (NextStep(lane, out var pos)) Step([(lane, pos)]);
        lane.Active = false;
        return lane.Iterations;
    }

    /// <summary>Segments every object the seed policy leads to, in order (Google's segment_all).</summary>
    public void SegmentAll(ISeedPolicy seeds, CancellationToken cancel = default)
    {
        _cancel = cancel;
        new ObjectScheduler(this).Run(seeds, cancel);
    }

    /// <summary>
    /// Google's min_boundary_dist rule for a seed about to start: one this close to a segmented voxel is marked
    /// failed (-1) and not started.
    /// </summary>
    internal bool TooCloseToSegment(Vec3i pos)
    {
        var mbd = _options.MinBoundaryDist;
        if (!AnySegmented(new Box3(pos - mbd, mbd * 2 + Vec3i.One))) return false;
        Segmentation.Data[Index(pos)] = -1;
        Counters.Increment(Counters.SkipTooCloseToSegment);
        return true;
    }

    /// <summary>Google's post-processing of one grown object: weak seed, size check, new id for its new voxels.</summary>
    internal void Commit(ObjectLane lane)
    {
        lane.Active = false;
        var pos = lane.Start;
        int iters = lane.Iterations;
        if (iters <= 0)
        {
            Counters.Increment(Counters.InvalidOther);
            return;
        }
        if (!(lane.Seed[Index(pos)] >= _moveLogit))
        {
            if (Segmentation.Data[Index(pos)] == 0) Segmentation.Data[Index(pos)] = -1;
            Counters.Increment(Counters.InvalidWeak);
            Attempts.Add(new SeedAttempt(pos, SeedAttempt.WeakSeed, -1, iters));
            return;
        }

        var sel = Box3.FromStartEnd(Vec3i.Max(lane.MinPos - _fov / 2, Vec3i.Zero), lane.MaxPos + _fov / 2 + Vec3i.One)
            .Intersect(Box3.FromShape(Shape));
        var seed = lane.Seed;
        long raw = 0, actual = 0;
        ForEach(sel, i =>
        {
            if (!(seed[i] >= _segLogit)) return;
            raw++;
            if (Segmentation.Data[i] <= 0) actual++;
        });
        if (actual < _options.MinSegmentSize)
        {
            if (Segmentation.Data[Index(pos)] == 0) Segmentation.Data[Index(pos)] = -1;
            Counters.Increment(Counters.InvalidSmall);
            Attempts.Add(new SeedAttempt(pos, SeedAttempt.TooSmall, actual, iters));
            return;
        }
        Counters.Increment(Counters.VoxelsSegmented, actual);
        Counters.Increment(Counters.VoxelsOverlapping, raw - actual);
        int sid = NextSegmentId();
        var prob = Probability?.Data;
        ForEach(sel, i =>
        {
            if (seed[i] >= _segLogit && Segmentation.Data[i] <= 0)
            {
                Segmentation.Data[i] = sid;
                if (prob != null) prob[i] = QuantizeProbability(seed[i]);
            }
        });
        var attempt = new SeedAttempt(pos, sid, actual, iters);
        Attempts.Add(attempt);
        Origins[sid] = attempt;
        Counters.Increment(Counters.SegmentsKept);
    }

    /// <summary>Restores a state saved between objects (see <see cref="BetweenObjects"/>).</summary>
    public void Restore(Volume<int> segmentation, Counters counters, IEnumerable<SeedAttempt> attempts, Volume<byte>? probability = null)
    {
        segmentation.Data.CopyTo(Segmentation.Data, 0);
        if (Probability != null && probability != null) probability.Data.CopyTo(Probability.Data, 0);
        Counters.Add(counters);
        foreach (var a in attempts)
        {
            Attempts.Add(a);
            if (a.Outcome > 0) Origins[a.Outcome] = a;
        }
        _maxId = Origins.Count == 0 ? 0 : Origins.Keys.Max();
        _started = Attempts.Count;
    }

    private int NextSegmentId()
    {
        _maxId++;
        while (Origins.ContainsKey(_maxId)) _maxId++;
        return _maxId;
    }

    /// <summary>
    /// Google's storage.quantize_probability: np.digitize(p, np.linspace(0, 1, 255)), i.e. the number of the 255
    /// evenly spaced bin edges (k * (1/254), the last exactly 1) that are &lt;= p.
    /// </summary>
    private static byte QuantizeProbability(float logit)
    {
        double p = Expit(logit);
        const double step = 1.0 / 254;
        int k = (int)Math.Floor(p / step);
        k = Math.Clamp(k, 0, 254);
        while (k < 254 && (k + 1) * step <= p) k++;   // edges are k*step, not k/254: fix rounding either way
        while (k > 0 && k * step > p) k--;
        return (byte)(p >= 1.0 ? 255 : k + 1);
    }

    private static double Expit(double x) => 1 / (1 + Math.Exp(-x));

    private bool AnySegmented(Box3 box)
    {
        bool any = false;
        ForEach(box.Intersect(Box3.FromShape(Shape)), i => any |= Segmentation.Data[i] > 0);
        return any;
    }

    private void ForEach(Box3 box, Action<long> visit)
    {
        for (int z = box.Start.Z; z < box.End.Z; z++)
        for (int y = box.Start.Y; y < box.End.Y; y++)
        {
            long row = ((long)z * Shape.Y + y) * Shape.X;
            for (int x = box.Start.X; x < box.End.X; x++) visit(row + x);
        }
    }

    private void CopyOut(float[] src, Box3 box, float[] dst)
    {
        int k = 0;
        for (int z = 0; z < box.Size.Z; z++)
        for (int y = 0; y < box.Size.Y; y++)
        {
            src.AsSpan((int)Index(new Vec3i(box.Start.Z + z, box.Start.Y + y, box.Start.X)), box.Size.X).CopyTo(dst.AsSpan(k));
            k += box.Size.X;
        }
    }

    private void CopyIn(float[] src, Box3 box, float[] dst)
    {
        int k = 0;
        for (int z = 0; z < box.Size.Z; z++)
        for (int y = 0; y < box.Size.Y; y++)
        {
            src.AsSpan(k, box.Size.X).CopyTo(dst.AsSpan((int)Index(new Vec3i(box.Start.Z + z, box.Start.Y + y, box.Start.X))));
            k += box.Size.X;
        }
    }

    private void Fill(float[] dst, Box3 box, float value)
    {
        for (int z = box.Start.Z; z < box.End.Z; z++)
        for (int y = box.Start.Y; y < box.End.Y; y++)
            dst.AsSpan((int)Index(new Vec3i(z, y, box.Start.X)), box.Size.X).Fill(value);
    }

    private static Box3 Union(Box3 a, Box3 b) => Box3.FromStartEnd(Vec3i.Min(a.Start, b.Start), Vec3i.Max(a.End, b.End));

}
