using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench forward`: median milliseconds per FoV step and GFLOP/s of the network at several batch sizes, with
/// Python PyTorch timed in the same run (interleaved rounds) when /usr/bin/python3 has torch.
/// </summary>
public static class BenchForwardCommand
{
    // Requests: "BATCH COUNT GRAD" (GRAD 1 = with autograd); answers: COUNT times in ms.
    private const string Script = """
import sys, time, torch, torch.nn as nn
depth, feat, fz, fy, fx, threads = (int(a) for a in sys.argv[1:7])
if threads > 0: torch.set_num_threads(threads)
"""
        + PythonWorker.ConvStackNet + """
net = Net().eval()
print('ready', torch.__version__, torch.get_num_threads(), flush=True)
for line in sys.stdin:
    batch, count, grad = (int(a) for a in line.split())
    x = torch.randn(batch, 2, fz, fy, fx)
    out = []
    for _ in range(count):
        t = time.perf_counter()
        if grad:
            y = net(x)
        else:
            with torch.no_grad():
                y = net(x)
        float(y[0, 0, 0, 0, 0])
        out.append((time.perf_counter() - t) * 1000)
    print(' '.join(f'{v:.3f}' for v in out), flush=True)
""";

    public static Command Create(CommandContext ctx)
    {
        var model = new Option<string?>("--model") { Description = "Checkpoint to time (default: the FIB-25 architecture, depth 12, 32 features, 33^3 FoV)" };
        var batches = Flags.Make<string>(ctx, "bench.forward", "--batch", "Batch sizes, comma-separated");
        var rounds = Flags.Make<int>(ctx, "bench.forward", "--rounds", "Interleaved rounds per batch size");
        var perRound = Flags.Make<int>(ctx, "bench.forward", "--per-round", "Forwards per round and implementation");
        var python = Flags.Make<bool>(ctx, "bench.forward", "--python", "Also time Python PyTorch (/usr/bin/python3) in the same run");
        var bf16 = new Option<bool>("--bfloat16") { Description = "Also time our forward in bfloat16" };
        var torchFlags = new TorchFlags(ctx, "bench.forward", "libtorch CPU threads for both implementations (0 = default)");
        var cmd = new Command("forward", "Time the network's forward pass (ms per FoV step, GFLOP/s)") { model, batches, rounds, perRound, python, bf16 };
        torchFlags.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var bs = (r.GetValue(batches) ?? "1").Split(',', StringSplitOptions.TrimEntries).Select(b =>
                int.TryParse(b, out var v) && v > 0 ? v : throw new UsageException($"--batch: '{b}' is not a positive integer")).ToArray();
            int nThreads = r.GetValue(torchFlags.Threads), nRounds = Math.Max(1, r.GetValue(rounds)), n = Math.Max(1, r.GetValue(perRound));
            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            var path = r.GetValue(model);
            var net = NetworkOrFib25(path);
            var cfg = net.Config;
            double flops = ConvStack3D.FlopsPerFov(cfg);
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(ci, $"network: {cfg.Architecture.Name()} depth {cfg.Depth}, {cfg.Features} features, FoV {cfg.FovSize}: {flops / 1e9:F2} GFLOP per FoV step; device {dev}, threads {(nThreads > 0 ? nThreads : TorchSharp.torch.get_num_threads())}"));

            using var timer = new ForwardTimer(net, dev);
            using var py = r.GetValue(python) ? PythonWorker.TryStart("bench forward", Script, cfg, nThreads, ctx.Err) : null;
            ForwardTimer? bfTimer = r.GetValue(bf16) ? new ForwardTimer(new ConvStack3D(cfg), dev, bfloat16: true) : null;
            ctx.Out.WriteLine("batch  ours ms/FoV  GFLOP/s" + (py != null ? "   python ms/FoV (no_grad)  (autograd)  ours/python" : "") + (bfTimer != null ? "  ours bf16 ms/FoV" : ""));
            foreach (int b in bs)
            {
                timer.Time(b, 1); // warm-up: first call allocates and picks kernels
                py?.Time($"{b} 1 0");
                var ours = new List<double>();
                var pyNoGrad = new List<double>();
                var pyGrad = new List<double>();
                var bf = new List<double>();
                for (int round = 0; round < nRounds; round++)
                {
                    ours.AddRange(timer.Time(b, n).Select(t => t / b));
                    if (py != null)
                    {
                        pyNoGrad.AddRange(py.Time($"{b} {n} 0").Select(t => t / b));
                        pyGrad.AddRange(py.Time($"{b} {n} 1").Select(t => t / b));
                    }
                    if (bfTimer != null) bf.AddRange(bfTimer.Time(b, 1).Select(t => t / b));
                    ctx.Err.WriteLine($"bench forward: batch {b}, round {round + 1}/{nRounds}");
                }
                double m = Median(ours);
                var line = string.Create(ci, $"{b,5}  {m,11:F1}  {flops / (m / 1000) / 1e9,7:G3}");
                if (py != null)
                {
                    double p = Median(pyNoGrad);
                    line += string.Create(ci, $"   {p,23:F1}  {Median(pyGrad),10:F1}  {m / p,11:F2}");
                }
                if (bfTimer != null) line += string.Create(ci, $"  {Median(bf),16:F1}");
                ctx.Out.WriteLine(line);
            }
            bfTimer?.Dispose();
            return FfnCli.Ok;
        });
        return cmd;
    }
}
