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
        var bf16 = new Option<bool>("--bfloat16") { Description = "Also time our forward in bfloat16 (--precision's layout and slices)" };
        var variants = Flags.Make<string>(ctx, "bench.forward", "--variants", "More of our forwards to time, comma-separated PRECISION[+cl][+sN] (cl = channels-last, sN = CPU batch slices of N)");
        var torchFlags = new TorchFlags(ctx, "bench.forward", "libtorch CPU threads for both implementations (0 = default)");
        var precision = new PrecisionFlags(ctx);
        var cmd = new Command("forward", "Time the network's forward pass (ms per FoV step, GFLOP/s)") { model, batches, rounds, perRound, python, bf16, variants };
        torchFlags.AddTo(cmd);
        precision.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var bs = (r.GetValue(batches) ?? "1").Split(',', StringSplitOptions.TrimEntries).Select(b =>
                int.TryParse(b, out var v) && v > 0 ? v : throw new UsageException($"--batch: '{b}' is not a positive integer")).ToArray();
            int nThreads = r.GetValue(torchFlags.Threads), nRounds = Math.Max(1, r.GetValue(rounds)), n = Math.Max(1, r.GetValue(perRound));
            var extra = (r.GetValue(variants) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ForwardVariant.Parse).ToList();
            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            var main = precision.Resolve(r, torchFlags);
            if (r.GetValue(bf16)) extra.Insert(0, main with { Precision = Precision.Bf16 });
            var path = r.GetValue(model);
            var net = NetworkOrFib25(path);
            var cfg = net.Config;
            double flops = ConvStack3D.FlopsPerFov(cfg);
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(ci, $"network: {cfg.Architecture.Name()} depth {cfg.Depth}, {cfg.Features} features, FoV {cfg.FovSize}: {flops / 1e9:F2} GFLOP per FoV step; device {dev}, threads {(nThreads > 0 ? nThreads : TorchSharp.torch.get_num_threads())}; ours = {ForwardVariant.Name(main)}"));

            using var timer = new ForwardTimer(net, dev, main);
            using var py = r.GetValue(python) ? PythonWorker.TryStart("bench forward", Script, cfg, nThreads, ctx.Err) : null;
            // Each variant gets its own copy of the network: casting to bf16 changes the module in place.
            var others = extra.Select(v => new ForwardTimer(NetworkOrFib25(path), dev, v)).ToList();
            ctx.Out.WriteLine("batch  ours ms/FoV  GFLOP/s" + (py != null ? "   python ms/FoV (no_grad)  (autograd)  ours/python" : "")
                + string.Concat(others.Select(o => $"  {ForwardVariant.Name(o.Settings),10} ms/FoV  ratio")));
            foreach (int b in bs)
            {
                timer.Time(b, 1); // warm-up: first call allocates and picks kernels
                py?.Time($"{b} 1 0");
                foreach (var o in others) o.Time(b, 1);
                var ours = new List<double>();
                var pyNoGrad = new List<double>();
                var pyGrad = new List<double>();
                var other = others.Select(_ => new List<double>()).ToList();
                var ratios = others.Select(_ => new List<double>()).ToList();
                for (int round = 0; round < nRounds; round++)
                {
                    var mine = timer.Time(b, n).Select(t => t / b).ToArray();
                    ours.AddRange(mine);
                    if (py != null)
                    {
                        pyNoGrad.AddRange(py.Time($"{b} {n} 0").Select(t => t / b));
                        pyGrad.AddRange(py.Time($"{b} {n} 1").Select(t => t / b));
                    }
                    for (int k = 0; k < others.Count; k++)
                    {
                        var times = others[k].Time(b, n).Select(t => t / b).ToArray();
                        other[k].AddRange(times);
                        ratios[k].Add(Median(times) / Median(mine)); // same round: the two saw the same machine load
                    }
                    ctx.Err.WriteLine($"bench forward: batch {b}, round {round + 1}/{nRounds}");
                }
                double m = Median(ours);
                var line = string.Create(ci, $"{b,5}  {m,11:F1}  {flops / (m / 1000) / 1e9,7:G3}");
                if (py != null)
                {
                    double p = Median(pyNoGrad);
                    line += string.Create(ci, $"   {p,23:F1}  {Median(pyGrad),10:F1}  {m / p,11:F2}");
                }
                for (int k = 0; k < others.Count; k++)
                    line += string.Create(ci, $"  {Median(other[k]),17:F1}  {Median(ratios[k]),5:F2}");
                ctx.Out.WriteLine(line);
            }
            foreach (var o in others) o.Dispose();
            return FfnCli.Ok;
        });
        return cmd;
    }
}
