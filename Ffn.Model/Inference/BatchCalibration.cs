using System.Diagnostics;
using Ffn.Model.Network;

namespace Ffn.Model.Inference;

/// <summary>
/// Chooses --batch-canvases on a GPU: the network is timed at batch sizes 1, 2, 4, ... on the device, and the
/// largest batch whose cost per FoV beats every smaller one by at least <see cref="MinGain"/> wins. A larger batch
/// only changes the order objects grow in (google/ffn's order is batch 1), so it must pay clearly to be chosen.
/// Stops at the first size that runs out of memory or after two sizes without a gain.
/// </summary>
public sealed record BatchCalibration(int Chosen, IReadOnlyList<BatchCalibration.Point> Measured)
{
    public sealed record Point(int Batch, double MsPerFov);

    public static readonly int[] Candidates = [1, 2, 4, 8, 16, 32, 64];
    public const double MinGain = 0.10;

    /// <summary>Times <paramref name="net"/> on its device (median of <paramref name="repeats"/> after a warm-up per size).</summary>
    public static BatchCalibration Run(Predictor net, int maxBatch = 64, int repeats = 3)
    {
        var fov = net.Config.FovSize;
        long n = fov.Product;
        var measured = new List<Point>();
        int sinceGain = 0;
        var rng = new Random(1);
        foreach (var k in Candidates.Where(c => c <= Math.Max(1, maxBatch)))
        {
            var input = new float[2 * n * k];
            for (long i = 0; i < input.LongLength; i++) input[i] = (float)rng.NextDouble() - 0.5f;
            long[] shape = [k, 2, fov.Z, fov.Y, fov.X];
            var times = new double[repeats];
            try
            {
                net.Forward(input, shape); // warm-up: cuDNN picks its algorithms for this shape
                for (int r = 0; r < repeats; r++)
                {
                    var clock = Stopwatch.StartNew();
                    net.Forward(input, shape);
                    times[r] = clock.Elapsed.TotalMilliseconds;
                }
            }
            catch (Exception e) when (IsOutOfMemory(e))
            {
                break;
            }
            Array.Sort(times);
            var point = new Point(k, times[repeats / 2] / k);
            measured.Add(point);
            if (Choose(measured) == k) sinceGain = 0;
            else if (++sinceGain >= 2) break;
        }
        return new BatchCalibration(Choose(measured), measured);
    }

    /// <summary>The rule: walking up the sizes, a batch replaces the current choice only if it is MinGain cheaper per FoV.</summary>
    public static int Choose(IReadOnlyList<Point> measured)
    {
        if (measured.Count == 0) return 1;
        var chosen = measured[0];
        foreach (var p in measured.Skip(1))
            if (p.MsPerFov <= chosen.MsPerFov * (1 - MinGain)) chosen = p;
        return chosen.Batch;
    }

    public string Describe() =>
        string.Join(", ", Measured.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Batch}: {p.MsPerFov:F1} ms/FoV")));

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase);
}
