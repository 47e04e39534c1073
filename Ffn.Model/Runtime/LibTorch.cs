using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Ffn.Model.Runtime;

/// <summary>
/// Facts about the libtorch this process loaded (version, oneDNN and MKL versions, ATen's CPU capability, the file
/// it came from) and the one switch TorchSharp does not expose: whether convolutions may use oneDNN. These call
/// libtorch's exported C++ functions directly; none of them runs a kernel, so none fixes oneDNN's ISA choice.
/// </summary>
public static partial class LibTorch
{
    private const string Lib = "libtorch_cpu.so";

    [LibraryImport(Lib, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(Lib, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(Lib, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledMkldnn(IntPtr context);

    // These return a std::string (libstdc++'s C++11 ABI) through a hidden pointer to 32 bytes the caller provides.
    [LibraryImport(Lib, EntryPoint = "_ZN2at11show_configB5cxx11Ev")]
    private static partial IntPtr ShowConfig(IntPtr result);

    [LibraryImport(Lib, EntryPoint = "_ZN2at17get_parallel_infoB5cxx11Ev")]
    private static partial IntPtr ParallelInfo(IntPtr result);

    [LibraryImport("libstdc++.so.6", EntryPoint = "_ZdlPv")]
    private static partial void OperatorDelete(IntPtr p);

    private static readonly Lazy<string> Config = new(() => ReadString(ShowConfig));

    /// <summary>Loads TorchSharp and libtorch (without running a kernel).</summary>
    public static void EnsureLoaded()
    {
        LibTorchSource.RequireAvailable();
        _ = torch.get_num_threads();
    }

    public static bool OneDnnEnabled
    {
        get
        {
            EnsureLoaded();
            return UserEnabledMkldnn(GlobalContext());
        }
        set
        {
            EnsureLoaded();
            SetUserEnabledMkldnn(GlobalContext(), value);
        }
    }

    /// <summary>libtorch's build configuration text (at::show_config).</summary>
    public static string BuildConfig
    {
        get
        {
            EnsureLoaded();
            return Config.Value;
        }
    }

    public static string Version => Match(BuildConfig, @"TORCH_VERSION=([^,\s]+)") ?? "unknown";
    public static string OneDnnVersion => Match(BuildConfig, @"MKL-DNN (v[^\s]+)") ?? "none";
    public static string MklVersion => Match(BuildConfig, @"Math Kernel Library Version ([^\s]+)") ?? "none";
    public static string CpuCapability => Match(BuildConfig, @"CPU capability usage: (\S+)") ?? "unknown";

    /// <summary>at::get_parallel_info: thread counts and the parallel backend.</summary>
    public static string ParallelSummary
    {
        get
        {
            EnsureLoaded();
            return ReadString(ParallelInfo);
        }
    }

    /// <summary>The libtorch_cpu.so this process mapped (Linux), or null.</summary>
    public static string? LoadedFrom
    {
        get
        {
            EnsureLoaded();
            return LibTorchSource.Mapped(Lib).FirstOrDefault();
        }
    }

    /// <summary>The GNU build id of the loaded libtorch_cpu.so: the same id is the same binary.</summary>
    public static string BuildId => LoadedFrom is { } p ? ElfBuildId.Read(p) ?? "unknown" : "unknown";

    /// <summary>
    /// TORCH_VERSION from the build configuration of a libtorch_cpu.so loaded at <paramref name="handle"/>, without
    /// TorchSharp (which may not bind to a libtorch of another version).
    /// </summary>
    public static unsafe string? VersionOf(IntPtr handle)
    {
        if (!NativeLibrary.TryGetExport(handle, "_ZN2at11show_configB5cxx11Ev", out var export)) return null;
        return Match(ReadString(p => ((delegate* unmanaged<IntPtr, IntPtr>)export)(p)), @"TORCH_VERSION=([^,\s]+)");
    }

    private static string? Match(string text, string pattern)
    {
        var m = Regex.Match(text, pattern);
        return m.Success ? m.Groups[1].Value : null;
    }

    private static string ReadString(Func<IntPtr, IntPtr> call)
    {
        var buf = Marshal.AllocHGlobal(32);
        try
        {
            call(buf);
            var data = Marshal.ReadIntPtr(buf);
            long length = Marshal.ReadInt64(buf, 8);
            var s = Marshal.PtrToStringUTF8(data, checked((int)length));
            if (data != buf + 16) OperatorDelete(data); // heap buffer (not the small-string one inside buf)
            return s;
        }
        finally
        {
            Marshal.FreeHGlobal(buf);
        }
    }
}
