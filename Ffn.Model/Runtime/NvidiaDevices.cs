using System.Runtime.InteropServices;
using System.Text;

namespace Ffn.Model.Runtime;

/// <summary>
/// NVIDIA GPUs as the driver reports them (NVML, libnvidia-ml.so.1), independent of which libtorch is loaded:
/// name and memory per device, and the driver version. Empty where there is no driver.
/// </summary>
public static partial class NvidiaDevices
{
    public sealed record Device(int Index, string Name, long TotalBytes, long FreeBytes);

    public sealed record Report(string? Driver, IReadOnlyList<Device> Devices, string? Problem);

    private const string Nvml = "libnvidia-ml.so.1";

    [StructLayout(LayoutKind.Sequential)]
    private struct Memory
    {
        public ulong Total, Free, Used;
    }

    [LibraryImport(Nvml, EntryPoint = "nvmlInit_v2")] private static partial int Init();
    [LibraryImport(Nvml, EntryPoint = "nvmlShutdown")] private static partial int Shutdown();
    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetCount_v2")] private static partial int Count(out uint count);
    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] private static partial int Handle(uint index, out IntPtr device);
    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetName")] private static partial int Name(IntPtr device, byte[] name, uint length);
    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetMemoryInfo")] private static partial int MemoryInfo(IntPtr device, out Memory memory);
    [LibraryImport(Nvml, EntryPoint = "nvmlSystemGetDriverVersion")] private static partial int DriverVersion(byte[] version, uint length);

    public static Report Query()
    {
        try
        {
            if (Init() is var rc and not 0) return new Report(null, [], $"NVML init failed (code {rc})");
            try
            {
                var buf = new byte[96];
                string? driver = DriverVersion(buf, (uint)buf.Length) == 0 ? CString(buf) : null;
                if (Count(out var n) != 0) return new Report(driver, [], "NVML could not count devices");
                var devices = new List<Device>();
                for (uint i = 0; i < n; i++)
                {
                    if (Handle(i, out var h) != 0) continue;
                    var name = Name(h, buf, (uint)buf.Length) == 0 ? CString(buf) : "?";
                    MemoryInfo(h, out var m);
                    devices.Add(new Device((int)i, name, (long)m.Total, (long)m.Free));
                }
                return new Report(driver, devices, null);
            }
            finally
            {
                Shutdown();
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new Report(null, [], "no NVIDIA driver (libnvidia-ml.so.1 not found)");
        }
    }

    private static string CString(byte[] b) => Encoding.UTF8.GetString(b, 0, Math.Max(0, Array.IndexOf(b, (byte)0)));
}
