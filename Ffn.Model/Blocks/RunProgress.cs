using System.Globalization;

namespace Ffn.Model.Blocks;

/// <summary>The progress line of a run: blocks done/total, throughput over the blocks computed in this run, ETA.</summary>
public static class RunProgress
{
    public static string Line(BlockScheduler s, double elapsedSeconds)
    {
        int done = s.CountIn(BlockState.Done), reused = s.CountIn(BlockState.Reused), empty = s.CountIn(BlockState.Empty);
        int failed = s.CountIn(BlockState.Failed), finished = done + reused + empty + failed;
        long computed = s.Blocks.Where(b => b.State == BlockState.Done).Sum(b => b.Spec.Core.Volume);
        long remaining = s.Blocks.Where(b => !b.IsFinished).Sum(b => b.Spec.Core.Volume);
        double rate = computed / Math.Max(elapsedSeconds, 1e-9);
        string eta = remaining == 0 ? "0 s" : computed == 0 ? "?" : $"{remaining / rate:F0} s";
        return string.Create(CultureInfo.InvariantCulture,
            $"blocks {finished}/{s.Count} ({done} done, {reused} reused, {empty} empty, {failed} failed, {s.InFlight} running), " +
            $"{done / Math.Max(elapsedSeconds, 1e-9) * 60:F2} blocks/min, {rate:F0} voxels/s, ETA {eta}");
    }
}
