using System.Runtime.InteropServices;

namespace Ffn.Model.Runtime;

/// <summary>
/// The environment that native libraries read with getenv. On Linux, .NET's Environment.SetEnvironmentVariable
/// changes only a managed copy, so settings meant for oneDNN or ATen go through libc's setenv as well.
/// </summary>
public static partial class NativeEnvironment
{
    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);

    [LibraryImport("libc.so.6", EntryPoint = "fflush")]
    private static partial int FFlush(IntPtr stream);

    public static string? Get(string name) =>
        OperatingSystem.IsLinux() ? Marshal.PtrToStringUTF8(GetEnv(name)) : Environment.GetEnvironmentVariable(name);

    /// <summary>Sets the variable for native code and for child processes started from .NET.</summary>
    public static void Set(string name, string value)
    {
        if (OperatingSystem.IsLinux() && SetEnv(name, value, 1) != 0)
            throw new InvalidOperationException($"setenv {name} failed (errno {Marshal.GetLastPInvokeError()})");
        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>Flushes C stdio buffers, so what native code printed lands before what .NET writes next.</summary>
    public static void FlushNativeStdout()
    {
        if (OperatingSystem.IsLinux()) FFlush(IntPtr.Zero);
    }
}
