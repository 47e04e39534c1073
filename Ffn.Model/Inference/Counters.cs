using System.Text.Json;

namespace Ffn.Model.Inference;

/// <summary>Named event counters, with Google's names where the meaning is the same (skip_invalid_pos, ...).</summary>
public sealed class Counters
{
    public const string NetworkEvaluations = "network-evaluations";
    public const string SeedsProposed = "seeds-proposed";
    public const string SeedsTried = "seeds-tried";
    public const string SegmentsKept = "segments-kept";
    public const string SkipInvalidPos = "skip_invalid_pos";
    public const string SkipThreshold = "skip_threshold";
    public const string SkipTooCloseToSegment = "skip_too_close_to_segment";
    public const string SeedGotTooWeak = "seed_got_too_weak";
    public const string InvalidWeak = "invalid-weak";
    public const string InvalidSmall = "invalid-small";
    public const string InvalidOther = "invalid-other";
    public const string VoxelsSegmented = "voxels-segmented";
    public const string VoxelsOverlapping = "voxels-overlapping";
    public const string SelfConsistentReruns = "self-consistent-reruns";
    public const string PredictMs = "predict-time-ms";
    public const string SeedPolicyMs = "seed-policy-time-ms";
    public const string SegmentAllMs = "segment_all-time-ms";

    private readonly SortedDictionary<string, long> _values = new(StringComparer.Ordinal);

    public long this[string name] => _values.GetValueOrDefault(name);

    public void Increment(string name, long by = 1) => _values[name] = _values.GetValueOrDefault(name) + by;

    public IReadOnlyDictionary<string, long> Values => _values;

    public string ToJson() => JsonSerializer.Serialize(_values);

    public static Counters FromJson(string json)
    {
        var c = new Counters();
        foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, long>>(json) ?? []) c._values[k] = v;
        return c;
    }

    public void Add(Counters other)
    {
        foreach (var (k, v) in other._values) Increment(k, v);
    }
}
