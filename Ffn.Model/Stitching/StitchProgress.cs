using Ffn.Model.DataPrep;

namespace Ffn.Model.Stitching;

/// <summary>"what: done/total unit (pct), rate, ETA" lines at most once a second, for callers outside this assembly.</summary>
public sealed class StitchProgress(string what, string unit, long total, IProgress<string>? sink)
{
    private readonly ProgressMeter _meter = new(what, unit, total, sink);

    public void Add(long n) => _meter.Add(n);
}
