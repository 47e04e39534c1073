using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Training;
using TorchSharp;
using static Ffn.Host.Commands.Bench.BenchSupport;
using static TorchSharp.torch;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench train`: seconds per training step (forward, sigmoid cross-entropy, backward, optimizer update) of the
/// FIB-25 network at batch 16, with Python PyTorch doing the same step in the same run (interleaved rounds).
/// </summary>
public static class BenchTrainCommand
{
    // Our driver (Google's convstack_3d layout, as in bench forward): the same step as Trainer.Update.
    // Requests: "BATCH COUNT"; answers: COUNT times in s.
    private const string Script = """
import sys, time, numpy as np, torch, torch.nn as nn
depth, feat, fz, fy, fx, threads = (int(a) for a in sys.argv[1:7]); opt, lr = sys.argv[7], float(sys.argv[8])
if threads > 0: torch.set_num_threads(threads)
"""
        + PythonWorker.ConvStackNet + """
net = Net().train()
o = torch.optim.SGD(net.parameters(), lr=lr) if opt == 'sgd' else torch.optim.Adam(net.parameters(), lr=lr)
loss_fn = nn.BCEWithLogitsLoss()
print('ready', torch.__version__, torch.get_num_threads(), flush=True)
rng = np.random.default_rng(1)
for line in sys.stdin:
    batch, count = (int(a) for a in line.split())
    x_np = rng.standard_normal((batch, 2, fz, fy, fx), dtype=np.float32)
    y_np = np.where(rng.random((batch, 1, fz, fy, fx)) < 0.5, 0.95, 0.05).astype(np.float32)
    out = []
    for _ in range(count):
        t = time.perf_counter()
        x = torch.from_numpy(x_np); y = torch.from_numpy(y_np)
        logits = x[:, 1:2] + net(x)
        loss = loss_fn(logits, y)
        o.zero_grad()
        loss.backward()
        o.step()
        logits.detach().numpy(); loss.item()
        out.append(time.perf_counter() - t)
    print(' '.join(f'{v:.4f}' for v in out), flush=True)
""";

    public static Command Create(CommandContext ctx)
    {
        const string s = "bench.train";
        var model = Flags.Make<string>(ctx, s, "--model", "Checkpoint whose architecture to time (\"\" = FIB-25's: depth 12, 32 features, 33^3 FoV)");
        var batch = Flags.Make<int>(ctx, s, "--batch", "Examples per training step");
        var rounds = Flags.Make<int>(ctx, s, "--rounds", "Interleaved rounds");
        var perRound = Flags.Make<int>(ctx, s, "--per-round", "Timed steps per round and implementation");
        var optimizer = Flags.Make<string>(ctx, s, "--optimizer", "sgd or adam");
        var python = Flags.Make<bool>(ctx, s, "--python", "Also time Python PyTorch (/usr/bin/python3) in the same run");
        var torchFlags = new TorchFlags(ctx, s, "libtorch CPU threads for both implementations (0 = default)");
        var cmd = new Command("train", "Time one training step (forward + backward + optimizer) against Python PyTorch")
        {
            model, batch, rounds, perRound, optimizer, python,
        };
        torchFlags.AddTo(cmd);
        cmd.SetAction(r =>
        {
            int b = Flags.AtLeast(r, batch), nRounds = Flags.AtLeast(r, rounds), n = Flags.AtLeast(r, perRound);
            var opt = Flags.Choice("--optimizer", r.GetValue(optimizer), TrainCommand.Optimizers);
            var dev = torchFlags.Prepare(r, KernelPurpose.Training);
            var path = r.GetValue(model);
            var net = NetworkOrFib25(path);
            var cfg = net.Config;
            var f = cfg.FovSize;
            var ci = CultureInfo.InvariantCulture;
            var options = new TrainingOptions { Optimizer = opt, LearningRate = 1e-4 };
            ctx.Out.WriteLine(string.Create(ci, $"network: {cfg.Architecture.Name()} depth {cfg.Depth}, {cfg.Features} features, FoV {f}; batch {b}; {opt.ToString().ToLowerInvariant()}; device {dev}, threads {get_num_threads()} (both implementations)"));

            net.to(dev);
            net.train();
            using var optim = TrainingOptimizer.For(net, options);
            var rnd = new Random(1);
            long[] shape = [b, 2, f.Z, f.Y, f.X];
            var input = new float[b * 2 * f.Product];
            var labels = new float[b * f.Product];
            for (int i = 0; i < input.Length; i++) input[i] = (float)(rnd.NextDouble() * 2 - 1);
            for (int i = 0; i < labels.Length; i++) labels[i] = rnd.Next(2) == 1 ? 0.95f : 0.05f;
            double OurStep()
            {
                var clock = Stopwatch.StartNew();
                Trainer.Update(net, optim, input, labels, shape, options.LearningRate, 0, dev);
                return clock.Elapsed.TotalSeconds;
            }

            // Python gets the thread count we run with: libtorch builds differ in their defaults (Debian's torch starts at 1).
            using var py = r.GetValue(python)
                ? PythonWorker.TryStart("bench train", Script, cfg, get_num_threads(), ctx.Err, opt.ToString().ToLowerInvariant(), options.LearningRate.ToString("R", ci))
                : null;
            OurStep(); // warm-up: first call allocates and picks kernels
            py?.Time($"{b} 1");
            var ours = new List<double>();
            var theirs = new List<double>();
            for (int round = 0; round < nRounds; round++)
            {
                for (int i = 0; i < n; i++) ours.Add(OurStep());
                if (py is not null) theirs.AddRange(py.Time($"{b} {n}"));
                var line = $"bench train: round {round + 1}/{nRounds}: ours {Times(ours.TakeLast(n))} s";
                if (py is not null) line += $", python {Times(theirs.TakeLast(n))} s";
                ctx.Err.WriteLine(line);
            }
            double m = Median(ours);
            ctx.Out.WriteLine(string.Create(ci, $"ours: median {m:F3} s per step of {Times(ours)}; {b / m:F2} examples/s"));
            if (py is null) return FfnCli.Ok;
            double p = Median(theirs);
            ctx.Out.WriteLine(string.Create(ci, $"python {py.TorchVersion}: median {p:F3} s per step of {Times(theirs)}; {b / p:F2} examples/s"));
            ctx.Out.WriteLine(string.Create(ci, $"ours/python: {m / p:F2}x"));
            return FfnCli.Ok;
        });
        return cmd;
    }
}
