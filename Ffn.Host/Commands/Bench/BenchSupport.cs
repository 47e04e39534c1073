using System.Diagnostics;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// What the benchmarks share: their default inputs from ../shared, the network to time, how timings are summed up
/// and printed, and <see cref="PythonWorker"/>, which times the reference implementation in the same run.
/// </summary>
public static class BenchSupport
{
    /// <summary>../shared beside the repository: the build output sits five folders below the repository's parent.</summary>
    private static string Shared => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "shared"));

    /// <summary>The image flag's value, or ../shared's FIB-25 training_sample1.h5:raw where it is "".</summary>
    public static string ImageOrFib25(string? image) => image is { Length: > 0 } ? image : Path.Combine(Shared, "data", "fib25", "training_sample1.h5") + ":raw";

    /// <summary>The model flag's value, or ../shared's Google FIB-25 checkpoint where it is "".</summary>
    public static string ModelOrFib25(string? model) => model is { Length: > 0 } ? model : Path.Combine(Shared, "data", "google-fib25", "model.ckpt-27465036");

    /// <summary>The checkpoint's network, or without one a new network of FIB-25's architecture (depth 12, 32 features, 33^3 FoV).</summary>
    public static ConvStack3D NetworkOrFib25(string? checkpoint) =>
        string.IsNullOrEmpty(checkpoint) ? new ConvStack3D(new ModelConfig()) : ModelCheckpoint.Load(checkpoint);

    /// <summary>The statistical median: the middle value, or the mean of the two middle values of an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) throw new ArgumentException("the median of no values", nameof(values));
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Timings as "[1.234, 2.345]" (three decimals).</summary>
    public static string Times(IEnumerable<double> values) => "[" + string.Join(", ", values.Select(t => t.ToString("F3", CultureInfo.InvariantCulture))) + "]";

    /// <summary>
    /// A long-lived /usr/bin/python3 process that times the same work as ours on request, so benchmarks can interleave
    /// the two in one run. Protocol: it prints "ready TORCH_VERSION ..." once, then answers each request line with the times.
    /// </summary>
    public sealed class PythonWorker : IDisposable
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

        private PythonWorker(Process p, string ready) => (_p, Ready) = (p, ready);

        /// <summary>The worker's "ready ..." line.</summary>
        public string Ready { get; }

        /// <summary>"torch VERSION", from the ready line.</summary>
        public string TorchVersion => "torch " + Ready.Split(' ')[1];

        /// <summary>
        /// Starts <paramref name="script"/> for network <paramref name="net"/>: its arguments are depth, features, FoV z,
        /// y, x and <paramref name="threads"/>, then <paramref name="more"/>. Where Python or its torch is missing, says
        /// so on <paramref name="err"/> and returns null (we then time ours only).
        /// </summary>
        public static PythonWorker? TryStart(string bench, string script, ModelConfig net, int threads, TextWriter err, params string[] more)
        {
            if (!File.Exists(Python)) { err.WriteLine($"{bench}: {Python} not found; timing ours only"); return null; }
            var args = new[] { net.Depth, net.Features, net.FovSize.Z, net.FovSize.Y, net.FovSize.X, threads }.Select(a => a.ToString(CultureInfo.InvariantCulture));
            var psi = ChildProcess.StartInfo(Python, ["-c", script, .. args, .. more]);
            psi.RedirectStandardInput = true;
            var p = Process.Start(psi)!;
            var ready = p.StandardOutput.ReadLine();
            if (ready is null || !ready.StartsWith("ready", StringComparison.Ordinal))
            {
                err.WriteLine($"{bench}: Python PyTorch unavailable ({ChildProcess.LastLine(p.StandardError.ReadToEnd())}); timing ours only");
                p.Dispose();
                return null;
            }
            err.WriteLine($"{bench}: Python {ready}");
            return new PythonWorker(p, ready);
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
}
