using System.Diagnostics;
using Ffn.Model.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// Whether FoV steps leave anything behind on their device: after a warm-up (allocator caches, oneDNN/cuDNN
/// plans), the memory in use on the device and TorchSharp's live tensors are read, <c>steps</c> forwards run, and
/// both are read again. On CPU the device's memory is the process's working set; on CUDA it is what the driver
/// reports in use on that GPU (NVML), which is what a long run would run out of.
/// </summary>
public sealed record ForwardMemoryProbe(int Steps, int Batch, long BytesWarm, long BytesEnd, long LiveTensorsWarm, long LiveTensorsEnd, double Seconds)
{
    public long Growth => BytesEnd - BytesWarm;

    /// <summary>Runs on the calling thread (TorchSharp counts live tensors per thread).</summary>
    public static ForwardMemoryProbe Run(Predictor net, int steps, int batch = 1, int warmup = 20)
    {
        var fov = net.Config.FovSize;
        var input = new float[2 * fov.Product * batch];
        var rng = new Random(7);
        for (long i = 0; i < input.LongLength; i++) input[i] = (float)rng.NextDouble();
        long[] shape = [batch, 2, fov.Z, fov.Y, fov.X];
        for (int i = 0; i < warmup; i++) net.Forward(input, shape);
        long warmBytes = InUse(net.Device), warmLive = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) net.Forward(input, shape);
        double seconds = clock.Elapsed.TotalSeconds;
        long endLive = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        return new ForwardMemoryProbe(steps, batch, warmBytes, InUse(net.Device), warmLive, endLive, seconds);
    }

    /// <summary>Bytes in use on the device now (see the class summary).</summary>
    public static long InUse(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
            var gpus = NvidiaDevices.Query();
            var d = gpus.Devices.FirstOrDefault(g => g.Index == Math.Max(0, device.index))
                    ?? throw new InvalidOperationException($"NVML reports no GPU {device.index} ({gpus.Problem ?? "no device"})");
            return d.TotalBytes - d.FreeBytes;
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Process.GetCurrentProcess().WorkingSet64;
    }
}
