using System.Diagnostics;

namespace Ffn.Host.Cli;

/// <summary>Starts this same `ffn` as a child process, however it was started: apphost, `dotnet ffn.dll`, single file, or a test host.</summary>
public static class FfnChildProcess
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var selfName = Path.GetFileNameWithoutExtension(self);
        var dll = typeof(FfnChildProcess).Assembly.Location;
        ProcessStartInfo psi;
        if (string.IsNullOrEmpty(dll) || selfName == "ffn")
        {
            psi = new ProcessStartInfo(self);
        }
        else
        {
            var dotnet = selfName == "dotnet" ? self : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            psi = new ProcessStartInfo(dotnet);
            psi.ArgumentList.Add(dll);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        return psi;
    }

    /// <summary>Runs to completion (killed after <paramref name="timeout"/>); returns exit code and both streams.</summary>
    public static (int Code, string Out, string Err) Run(ProcessStartInfo psi, TimeSpan timeout, CancellationToken ct = default)
    {
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        try
        {
            if (!p.WaitForExitAsync(ct).Wait(timeout))
            {
                p.Kill(entireProcessTree: true);
                return (-1, stdout.IsCompleted ? stdout.Result : "", $"timed out after {timeout.TotalSeconds:F0} s");
            }
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw e.InnerException;
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
