namespace Ffn.Model.Blocks;

/// <summary>
/// The pure core of a run (daisy's scheduler + bookkeeper, no threads, no clocks): which block goes next, which
/// returns are valid, what a failure leads to. Blocks are handed out in index order; a return is accepted only
/// from the worker holding that attempt, so a late or duplicate result is never counted twice.
/// </summary>
public sealed class BlockScheduler
{
    private readonly BlockRecord[] _blocks;
    private readonly SortedSet<int> _ready = [];
    private readonly Dictionary<int, BlockAssignment> _inFlight = [];

    public BlockScheduler(IReadOnlyList<BlockSpec> blocks, int maxAttempts, TimeSpan backoffBase, TimeSpan backoffMax)
    {
        if (maxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(maxAttempts), "at least one attempt is needed");
        _blocks = blocks.Select(b => new BlockRecord(b)).ToArray();
        for (int i = 0; i < _blocks.Length; i++)
            if (_blocks[i].Spec.Index != i) throw new ArgumentException("block indices must be 0..n-1 in order");
        MaxAttempts = maxAttempts;
        BackoffBase = backoffBase;
        BackoffMax = backoffMax;
    }

    public int MaxAttempts { get; }
    public TimeSpan BackoffBase { get; }
    public TimeSpan BackoffMax { get; }
    public IReadOnlyList<BlockRecord> Blocks => _blocks;
    public int Count => _blocks.Length;
    public int InFlight => _inFlight.Count;
    public bool HasReady => _ready.Count > 0;
    public bool IsFinished => _blocks.All(b => b.IsFinished);
    public int CountIn(BlockState s) => _blocks.Count(b => b.State == s);

    /// <summary>A committed result from an earlier run: reused, not recomputed.</summary>
    public void MarkReused(int index, string resultPath, IReadOnlyDictionary<string, long>? counters)
    {
        var b = Expect(index, BlockState.Unchecked);
        b.State = BlockState.Reused;
        b.ResultPath = resultPath;
        b.Counters = counters;
    }

    public void MarkChecked(int index, bool empty)
    {
        var b = Expect(index, BlockState.Unchecked);
        b.State = empty ? BlockState.Empty : BlockState.Ready;
        if (!empty) _ready.Add(index);
    }

    public BlockAssignment? Acquire(string worker)
    {
        if (_ready.Count == 0) return null;
        int i = _ready.Min;
        _ready.Remove(i);
        var b = _blocks[i];
        b.State = BlockState.Running;
        b.Attempts++;
        b.Worker = worker;
        var a = new BlockAssignment(b.Spec, b.Attempts, worker);
        _inFlight[i] = a;
        return a;
    }

    /// <summary>The bookkeeper's test: is this the attempt we are waiting for, from this worker?</summary>
    public bool IsExpected(int index, int attempt, string worker) =>
        _inFlight.TryGetValue(index, out var a) && a.Attempt == attempt && a.Worker == worker;

    public BlockAssignment? InFlightOf(int index) => _inFlight.GetValueOrDefault(index);

    public IReadOnlyList<BlockAssignment> InFlightFor(string worker) =>
        _inFlight.Values.Where(a => a.Worker == worker).OrderBy(a => a.Spec.Index).ToList();

    public void Complete(int index, int attempt, string worker, string resultPath, double seconds, IReadOnlyDictionary<string, long>? counters,
        string? device = null)
    {
        if (!IsExpected(index, attempt, worker)) throw new InvalidOperationException($"block {index} attempt {attempt} from {worker} was not expected");
        _inFlight.Remove(index);
        var b = _blocks[index];
        b.State = BlockState.Done;
        b.ResultPath = resultPath;
        b.Seconds += seconds;
        b.Counters = counters;
        b.Device = device;
    }

    /// <summary>Records a failed attempt. Returns the back-off before the block may run again, or null when it has
    /// used all its attempts and is now failed for good.</summary>
    public TimeSpan? Fail(int index, int attempt, string worker, string error, double seconds = 0)
    {
        if (!IsExpected(index, attempt, worker)) throw new InvalidOperationException($"block {index} attempt {attempt} from {worker} was not expected");
        _inFlight.Remove(index);
        var b = _blocks[index];
        b.Errors.Add($"attempt {attempt} on {worker}: {error}");
        b.Seconds += seconds;
        if (b.Attempts >= MaxAttempts)
        {
            b.State = BlockState.Failed;
            return null;
        }
        b.State = BlockState.BackingOff;
        return Backoff(b.Attempts);
    }

    public TimeSpan Backoff(int failedAttempts)
    {
        double s = BackoffBase.TotalSeconds * Math.Pow(2, Math.Max(0, failedAttempts - 1));
        return TimeSpan.FromSeconds(Math.Min(s, BackoffMax.TotalSeconds));
    }

    /// <summary>The back-off is over: the block may be handed out again.</summary>
    public void RetryReady(int index)
    {
        var b = _blocks[index];
        if (b.State != BlockState.BackingOff) return;
        b.State = BlockState.Ready;
        _ready.Add(index);
    }

    private BlockRecord Expect(int index, BlockState state)
    {
        var b = _blocks[index];
        if (b.State != state) throw new InvalidOperationException($"block {index} is {b.State}, expected {state}");
        return b;
    }
}
