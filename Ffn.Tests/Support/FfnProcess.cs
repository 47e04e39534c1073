using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ffn.Tests.Support;

/// <summary>An `ffn` OS process whose output lines can be awaited; killed (with its tree) on dispose.</summary>
public sealed class FfnProcess : IDisposable
{
    private readonly Process _p;
    private readonly BlockingCollection<string> _lines = new();
    private readonly List<string> _all = [];

    public FfnProcess(string name, params string[] args)
    {
        Name = name;
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ffn.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = Process.Start(psi)!;
        _p.OutputDataReceived += (_, e) => Add(e.Data);
        _p.ErrorDataReceived += (_, e) => Add(e.Data);
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public string Name { get; }
    public int Id => _p.Id;
    public bool HasExited => _p.HasExited;
    public int ExitCode => _p.ExitCode;

    public string Log
    {
        get { lock (_all) return $"--- {Name} ---\n" + string.Join("\n", _all); }
    }

    private void Add(string? line)
    {
        if (line == null) return;
        lock (_all) _all.Add(line);
        _lines.Add(line);
    }

    /// <summary>Blocks until a line matching <paramref name="match"/> arrives (lines before it are consumed).</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_lines.TryTake(out var line, TimeSpan.FromMilliseconds(200)) && match(line)) return line;
            if (_p.HasExited && _lines.Count == 0) break;
        }
        throw new TimeoutException($"{Name}: no matching line within {timeout.TotalSeconds:F0} s\n{Log}");
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit((int)timeout.TotalMilliseconds)) return false;
        _p.WaitForExit(); // the timed wait can return before the redirected output has all been read
        return true;
    }

    /// <summary>SIGKILL: no shutdown hooks, no goodbye to the cluster.</summary>
    public void Kill()
    {
        try { _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _p.WaitForExit();
    }

    public void Dispose()
    {
        if (!_p.HasExited) Kill();
        _p.Dispose();
    }

    /// <summary>SIGTERM, as a service manager or `kill` sends it.</summary>
    public static void Terminate(FfnProcess p)
    {
        using var kill = Process.Start("kill", ["-TERM", p._p.Id.ToString()])!;
        kill.WaitForExit();
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
