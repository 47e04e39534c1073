using System.Diagnostics;
using Ffn.Host.Cli;

namespace Ffn.Tests.Support;

public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Runs `ffn` in-process (fast), or as a real process where exit codes and streams must be checked end to end.</summary>
public static class Cli
{
    public static CliResult Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = FfnCli.Run(args, o, e);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    public static CliResult RunProcess(params string[] args) => RunProcess(new Dictionary<string, string?>(), args);

    /// <summary>As a real process with environment changes (a null value removes the variable).</summary>
    public static CliResult RunProcess(IReadOnlyDictionary<string, string?> env, params string[] args) => RunProcess(env, TimeSpan.FromMinutes(10), args);

    /// <summary>As above, killed after <paramref name="timeout"/> (a TimeoutException) so that a hang fails the test.</summary>
    public static CliResult RunProcess(IReadOnlyDictionary<string, string?> env, TimeSpan timeout, params string[] args) =>
        RunProcessAt(Path.Combine(AppContext.BaseDirectory, "ffn.dll"), env, timeout, args);

    /// <summary>The ffn.dll at <paramref name="dll"/> (another build or a copy of this one) as a real process.</summary>
    public static CliResult RunProcessAt(string dll, IReadOnlyDictionary<string, string?> env, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in env)
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(true); throw new TimeoutException("ffn did not finish"); }
        return new CliResult(p.ExitCode, so.Result, se.Result);
    }
}
