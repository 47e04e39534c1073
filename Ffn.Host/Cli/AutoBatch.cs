using System.Globalization;
using Ffn.Model.Checkpoints;
using Ffn.Model.Inference;
using Ffn.Model.Network;

namespace Ffn.Host.Cli;

/// <summary>
/// --batch-canvases N or auto. auto is 1 on CPU (google/ffn's exact order; batching measured no faster per FoV
/// there) and, on a CUDA device, the batch <see cref="BatchCalibration"/> picks by timing the run's network on it.
/// The number chosen is what the run records (run.json, each block's result), so resuming compares like with like.
/// </summary>
public static class AutoBatch
{
    public static int Resolve(string? text, string flag, string modelPath, string device, IProgress<string>? progress)
    {
        var t = (text ?? "").Trim();
        if (!t.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? Flags.AtLeast(flag, k)
                : throw new UsageException($"{flag} {text}: expected a whole number >= 1 or auto");
        if (!device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase)) return 1;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var net = new Predictor(ModelCheckpoint.Load(modelPath), TorchRuntime.ParseDevice(device));
        var c = BatchCalibration.Run(net);
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"{flag} auto: {c.Chosen} on {device} (measured {c.Describe()}; {clock.Elapsed.TotalSeconds:F1} s)"));
        return c.Chosen;
    }
}
