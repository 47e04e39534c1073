using System.Diagnostics;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.MovementPolicies;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;

namespace Ffn.Model.Inference;

/// <summary>
/// The state of flood-filling one subvolume (semantics of google/ffn inference.py Canvas, commit 6f61f6e): a
/// float32 logit canvas for the object being grown (NaN = never predicted), the int32 segmentation (negative =
/// seed markers of failed attempts), and the loops that grow one object (<see cref="SegmentAt"/>) and all objects
/// from a seed policy (<see cref="SegmentAll"/>). Deterministic for a deterministic predictor.
/// </summary>
public sealed class Canvas
{
    private readonly IFovPredictor _predictor;
    private readonly InferenceOptions _options;
    private readonly float[] _seed;
    private readonly float _initLogit, _padLogit, _moveLogit, _segLogit;
    private readonly FaceMaxMovementPolicy _movement;
    private readonly Vec3i _fov, _margin;
    private readonly float[] _fovImage, _fovSeed, _fovOld, _fovLogits;
    private readonly Stopwatch _predictClock = new();
    private Vec3i _minPos, _maxPos;
    private CancellationToken _cancel;
    private Box3 _dirty; // region of _seed written since the last clear
    private int _maxId;

    public Canvas(Volume<float> image, IFovPredictor predictor, Vec3i deltas, InferenceOptions options, bool keepTrace = false)
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
        // The movement policy gets logit(float32 threshold) kept in float64 (movement.get_policy_fn).
        _movement = new FaceMaxMovementPolicy(deltas, Logit((float)options.MoveThreshold));
        _seed = new float[Shape.Product];
        Array.Fill(_seed, float.NaN);
        Segmentation = new Volume<int>(Shape);
        int n = (int)_fov.Product;
        _fovImage = new float[n];
        _fovSeed = new float[n];
        _fovOld = new float[n];
        _fovLogits = new float[n];
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

    /// <summary>Called between objects (the only points where the state is fully described by Segmentation etc.).</summary>
    public Action<Canvas, ISeedPolicy>? BetweenObjects { get; set; }

    /// <summary>Called after every network evaluation, for progress reporting.</summary>
    public Action<Canvas>? AfterStep { get; set; }

    public TimeSpan PredictTime => _predictClock.Elapsed;

    public static double Logit(double p) => Math.Log(p / (1 - p));

    private long Index(Vec3i p) => ((long)p.Z * Shape.Y + p.Y) * Shape.X + p.X;

    /// <summary>Google's is_valid_pos: seed logit at the move threshold (unless starting), FoV inside, not segmented.</summary>
    public bool IsValidPos(Vec3i pos, bool ignoreMoveThreshold = false)
    {
        if (!ignoreMoveThreshold && !(_seed[Index(pos)] >= _moveLogit))
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

    /// <summary>Predicts the object at the FoV centred on <paramref name="pos"/> and writes the logits into the canvas.</summary>
    public ReadOnlySpan<float> UpdateAt(Vec3i pos)
    {
        var box = new Box3(pos - _margin, _fov);
        CopyOut(Image.Data, box, _fovImage);
        CopyOut(_seed, box, _fovOld);
        for (int i = 0; i < _fovSeed.Length; i++) _fovSeed[i] = float.IsNaN(_fovOld[i]) ? _padLogit : _fovOld[i];

        Predict();
        if (_options.DiffThreshold > 0)
        {
            // FFN-PyTorch's self-consistency: feed the prediction back until it stops changing.
            for (int it = 1; it < _options.MaxSelfConsistentIters; it++)
            {
                double diff = 0;
                for (int i = 0; i < _fovSeed.Length; i++) diff += Math.Abs(Expit(_fovSeed[i]) - Expit(_fovLogits[i]));
                if (diff / _fovSeed.Length < _options.DiffThreshold) break;
                _fovLogits.CopyTo(_fovSeed, 0);
                Counters.Increment(Counters.SelfConsistentReruns);
                Predict();
            }
        }

        if (_options.DiscoSeedThreshold >= 0)
        {
            long above = 0;
            foreach (var v in _fovLogits) if (v >= _moveLogit) above++;
            if ((double)above / _fovLogits.Length > _options.DiscoSeedThreshold)
            {
                // Voxels that were confidently outside (logit < logit(0.5) = 0) may not be pulled in.
                for (int i = 0; i < _fovLogits.Length; i++)
                {
                    float old = _fovOld[i];
                    if (old < 0f && _fovLogits[i] > old) _fovLogits[i] = old;
                }
            }
        }
        CopyIn(_fovLogits, box, _seed);
        _dirty = _dirty.IsEmpty ? box : Union(_dirty, box);
        return _fovLogits;
    }

    private void Predict()
    {
        _predictClock.Start();
        _predictor.Predict(_fovImage, _fovSeed, _fovLogits);
        _predictClock.Stop();
        Counters.Increment(Counters.NetworkEvaluations);
    }

    private void InitSeed(Vec3i pos)
    {
        if (!_dirty.IsEmpty) Fill(_seed, _dirty, float.NaN);
        _dirty = new Box3(pos, Vec3i.One);
        _seed[Index(pos)] = _initLogit;
    }

    /// <summary>Grows one object from <paramref name="start"/>; returns the number of network evaluations.</summary>
    public int SegmentAt(Vec3i start)
    {
        InitSeed(start);
        _movement.Reset(start);
        _minPos = _maxPos = start;
        if (_movement.Count == 0) _movement.Append(new ScoredMove((float)(_movement.ScoreThreshold * 2), start));
        int iters = 0;
        while (_movement.TryNext(p => IsValidPos(p), out var pos))
        {
            _cancel.ThrowIfCancellationRequested();
            if (!(_seed[Index(start)] >= _moveLogit))
            {
                Counters.Increment(Counters.SeedGotTooWeak);
                break;
            }
            var logits = UpdateAt(pos);
            _minPos = Vec3i.Min(_minPos, pos);
            _maxPos = Vec3i.Max(_maxPos, pos);
            iters++;
            Trace?.Add(new FovStep(Attempts.Count, pos));
            _movement.Update(logits, _fov, pos);
            AfterStep?.Invoke(this);
        }
        return iters;
    }

    /// <summary>Segments every object the seed policy leads to, in order (Google's segment_all).</summary>
    public void SegmentAll(ISeedPolicy seeds, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        _cancel = cancel;
        var mbd = _options.MinBoundaryDist;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var seedClock = Stopwatch.StartNew();
            bool more = seeds.TryNext(out var pos);
            Counters.Increment(Counters.SeedPolicyMs, seedClock.ElapsedMilliseconds);
            if (!more) break;
            Counters.Increment(Counters.SeedsProposed);
            if (!IsValidPos(pos, ignoreMoveThreshold: true)) continue;
            BetweenObjects?.Invoke(this, seeds);

            if (AnySegmented(new Box3(pos - mbd, mbd * 2 + Vec3i.One)))
            {
                Segmentation.Data[Index(pos)] = -1;
                Counters.Increment(Counters.SkipTooCloseToSegment);
                continue;
            }

            Counters.Increment(Counters.SeedsTried);
            int iters = SegmentAt(pos);
            if (iters <= 0)
            {
                Counters.Increment(Counters.InvalidOther);
                continue;
            }
            if (!(_seed[Index(pos)] >= _moveLogit))
            {
                if (Segmentation.Data[Index(pos)] == 0) Segmentation.Data[Index(pos)] = -1;
                Counters.Increment(Counters.InvalidWeak);
                Attempts.Add(new SeedAttempt(pos, SeedAttempt.WeakSeed, -1, iters));
                continue;
            }

            var sel = Box3.FromStartEnd(Vec3i.Max(_minPos - _fov / 2, Vec3i.Zero), _maxPos + _fov / 2 + Vec3i.One)
                .Intersect(Box3.FromShape(Shape));
            long raw = 0, actual = 0;
            ForEach(sel, i =>
            {
                if (!(_seed[i] >= _segLogit)) return;
                raw++;
                if (Segmentation.Data[i] <= 0) actual++;
            });
            if (actual < _options.MinSegmentSize)
            {
                if (Segmentation.Data[Index(pos)] == 0) Segmentation.Data[Index(pos)] = -1;
                Counters.Increment(Counters.InvalidSmall);
                Attempts.Add(new SeedAttempt(pos, SeedAttempt.TooSmall, actual, iters));
                continue;
            }
            Counters.Increment(Counters.VoxelsSegmented, actual);
            Counters.Increment(Counters.VoxelsOverlapping, raw - actual);
            int sid = NextSegmentId();
            var prob = Probability?.Data;
            ForEach(sel, i =>
            {
                if (_seed[i] >= _segLogit && Segmentation.Data[i] <= 0)
                {
                    Segmentation.Data[i] = sid;
                    if (prob != null) prob[i] = QuantizeProbability(_seed[i]);
                }
            });
            var attempt = new SeedAttempt(pos, sid, actual, iters);
            Attempts.Add(attempt);
            Origins[sid] = attempt;
            Counters.Increment(Counters.SegmentsKept);
        }
        Counters.Increment(Counters.PredictMs, (long)_predictClock.Elapsed.TotalMilliseconds);
        Counters.Increment(Counters.SegmentAllMs, clock.ElapsedMilliseconds);
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
