using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>Device and thread settings shared by every command that runs a network (--device, --threads).</summary>
public static class TorchRuntime
{
    /// <summary>A device's name as flags and reports spell it: cpu or cuda:N.</summary>
    public static string Name(Device d) => d.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, d.index)}" : d.type.ToString().ToLowerInvariant();

    /// <summary>Checks that every device of a worker list exists (CUDA available, index in range); the flag names the list.</summary>
    public static void RequireDevices(IEnumerable<string> devices, string flag)
    {
        foreach (var d in devices.Distinct()) ParseDevice(d, flag);
    }

    /// <summary>Parses auto (CUDA when TorchSharp reports it available, else CPU), cpu, cuda or cuda:N.</summary>
    public static Device ParseDevice(string text, string flag = "--device")
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "auto") return cuda.is_available() ? CUDA : CPU;
        if (t == "cpu") return CPU;
        if (t == "cuda" || t.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (t.Length > 4 && !int.TryParse(t[5..], out index))
                throw new InputException($"{flag} {text}: expected auto, cpu, cuda or cuda:N");
            if (!cuda.is_available())
                throw new InputException($"{flag} {text}: CUDA is not available (this build carries the CPU libtorch, or no GPU/driver was found)");
            if (index >= cuda.device_count())
                throw new InputException($"{flag} {text}: only {cuda.device_count()} CUDA device(s) present");
            return new Device(DeviceType.CUDA, index);
        }
        throw new InputException($"{flag} {text}: expected auto, cpu, cuda or cuda:N");
    }

    /// <summary>Sets libtorch's intra-op thread count (0 keeps libtorch's default: one per core).</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 0) throw new InputException($"--threads must be >= 0, got {threads}");
        if (threads > 0) torch.set_num_threads(threads);
    }
}
