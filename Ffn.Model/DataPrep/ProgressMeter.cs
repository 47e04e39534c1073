using System.Diagnostics;
using System.Globalization;

namespace Ffn.Model.DataPrep;

/// <summary>
/// Thread-safe done/total counter for long data-preparation steps. It reports "what: done/total (pct), rate, ETA"
/// at most once a second, and a final line only if it reported before: steps shorter than a second stay silent.
/// Parallel workers may call <see cref="Add"/> freely.
/// </summary>
internal sealed class ProgressMeter(string what, string unit, long total, IProgress<string>? sink)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _done;
    private long _lastReportTicks;
    private int _reported;

    public void Add(long n)
    {
        long done = Interlocked.Add(ref _done, n);
        if (sink is null) return;
        long now = _clock.ElapsedTicks, last = Interlocked.Read(ref _lastReportTicks);
        bool finished = done >= total;
        if (finished ? Volatile.Read(ref _reported) == 0 : now - last < Stopwatch.Frequency) return;
        // One reporter per interval: whoever moves the timestamp prints.
        if (Interlocked.CompareExchange(ref _lastReportTicks, now, last) != last && !finished) return;
        Volatile.Write(ref _reported, 1);
        double s = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9), rate = done / s;
        double eta = rate > 0 ? (total - done) / rate : 0;
        sink.Report(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {done}/{total} {unit} ({100.0 * done / Math.Max(total, 1):F0}%), {Short(rate)} {unit}/s, ETA {eta:F0} s"));
    }

    private static string Short(double v)
    {
        var (scaled, suffix) = v >= 1e9 ? (v / 1e9, "G") : v >= 1e6 ? (v / 1e6, "M") : v >= 1e4 ? (v / 1e3, "k") : (v, "");
        return scaled.ToString(suffix.Length > 0 ? "F2" : "F1", CultureInfo.InvariantCulture) + suffix;
    }
}
