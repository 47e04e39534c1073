using System.Diagnostics;

namespace Ffn.Host.Cli;

/// <summary>
/// Child processes that run to completion: this same `ffn` (however it was started: apphost, `dotnet ffn.dll`,
/// single file, or a test host) or another program such as Python. One runner, so every caller gets the same
/// time-out, cancellation and stream handling.
/// </summary>
public static class ChildProcess
{
    /// <summary>This `ffn` with <paramref name="args"/>.</summary>
    public static ProcessStartInfo Ffn(IEnumerable<string> args)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var selfName = Path.GetFileNameWithoutExtension(self);
#pragma warning disable IL3000 // empty in a single file, which is then the ffn executable itself: handled below
        var dll = typeof(ChildProcess).Assembly.Location;
#pragma warning restore IL3000
        if (string.IsNullOrEmpty(dll) || selfName == "ffn") return StartInfo(self, args);
        var dotnet = selfName == "dotnet" ? self : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return StartInfo(dotnet, args.Prepend(dll));
    }

    /// <summary><paramref name="program"/> with <paramref name="args"/>, its stdout and stderr captured.</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>
    /// Runs to completion and returns the exit code and both streams. <paramref name="stdin"/>, if given, is written
    /// and closed first (Python reads a script from "-"). After <paramref name="timeout"/> the process tree is killed
    /// and the code is -1; on cancellation it is killed and the cancellation thrown.
    /// </summary>
    public static (int Code, string Out, string Err) Run(ProcessStartInfo psi, TimeSpan timeout, CancellationToken ct = default, string? stdin = null)
    {
        psi.RedirectStandardInput = stdin is not null;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        try
        {
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
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

    /// <summary>The last line of a child's output: what a failed child says went wrong.</summary>
    public static string LastLine(string output) => output.Trim().Split('\n')[^1];
}
