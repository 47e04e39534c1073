using System.Diagnostics;
using System.Globalization;

namespace Ffn.Host.Cli;

/// <summary>
/// A long-lived /usr/bin/python3 process that times the same work as ours on request, so benchmarks can interleave
/// the two in one run. Protocol: it prints "ready ..." once, then answers each request line with the times.
/// </summary>
public sealed class PythonBenchWorker : IDisposable
{
    private const string Python = "/usr/bin/python3";

    /// <summary>
    /// Google's convstack_3d as a PyTorch module (the benchmarks' baseline), with a newline before and after so it
    /// can sit between two script parts; the script must define depth and feat first.
    /// </summary>
    public const string ConvStackNet = """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        c = lambda i, o, k=3: nn.Conv3d(i, o, k, padding=k // 2)
        self.first = nn.ModuleList([c(2, feat), c(feat, feat)])
        self.res = nn.ModuleList([nn.ModuleList([c(feat, feat), c(feat, feat)]) for _ in range(depth - 1)])
        self.lom = c(feat, 1, 1)
    def forward(self, x):
        x = self.first[1](torch.relu(self.first[0](x)))
        for a, b in self.res:
            x = x + b(torch.relu(a(torch.relu(x))))
        return self.lom(torch.relu(x))

""";
    private readonly Process _p;

    private PythonBenchWorker(Process p, string ready) => (_p, Ready) = (p, ready);

    /// <summary>The worker's "ready ..." line (it names the torch version).</summary>
    public string Ready { get; }

    /// <summary>Starts the worker, or says why not on <paramref name="err"/> and returns null (we then time ours only).</summary>
    public static PythonBenchWorker? TryStart(string bench, string script, IEnumerable<string> args, TextWriter err)
    {
        if (!File.Exists(Python)) { err.WriteLine($"{bench}: {Python} not found; timing ours only"); return null; }
        var psi = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var ready = p.StandardOutput.ReadLine();
        if (ready is null || !ready.StartsWith("ready", StringComparison.Ordinal))
        {
            err.WriteLine($"{bench}: Python PyTorch unavailable ({p.StandardError.ReadToEnd().Trim().Split('\n')[^1]}); timing ours only");
            p.Dispose();
            return null;
        }
        err.WriteLine($"{bench}: Python {ready}");
        return new PythonBenchWorker(p, ready);
    }

    /// <summary>Sends one request line; returns the times the worker answers with.</summary>
    public double[] Time(string request)
    {
        _p.StandardInput.WriteLine(request);
        _p.StandardInput.Flush();
        var line = _p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the Python worker exited: " + _p.StandardError.ReadToEnd());
        return line.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    public void Dispose()
    {
        try
        {
            _p.StandardInput.Close();
            if (!_p.WaitForExit(5000)) _p.Kill();
        }
        finally
        {
            _p.Dispose();
        }
    }
}
