using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using Ffn.Actors;
using Ffn.Actors.Messages;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Workers;
using Ffn.Host.Cli;
using Ffn.Model.Blocks;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench run`: the whole pipeline (coordinator, workers, stitcher) on a crop of real EM with 1, 2, ... workers
/// sharing the machine's cores: blocks/s, voxels/s, and how much of the workers' time is not spent in the network.
/// </summary>
public static class BenchRunCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "bench.run";
        var image = Flags.Make<string>(ctx, s, "--image", "Image volume PATH.h5:dataset (\"\" = ../shared's FIB-25 training_sample1.h5:raw)");
        var model = Flags.Make<string>(ctx, s, "--model", "Checkpoint (\"\" = ../shared's Google FIB-25 checkpoint)");
        var corner = Flags.Make<string>(ctx, s, "--corner", "Crop corner z,y,x");
        var size = Flags.Make<string>(ctx, s, "--size", "Crop size z,y,x");
        var block = Flags.Make<string>(ctx, s, "--block-shape", "Block shape z,y,x");
        var workers = Flags.Make<string>(ctx, s, "--workers", "Worker counts to time, comma-separated");
        var cores = Flags.Make<int>(ctx, s, "--cores", "CPU threads shared by the workers (0 = all cores)");
        var cmd = new Command("run", "Time the block pipeline with 1 and more workers and the share of worker time outside the network")
        {
            image, model, corner, size, block, workers, cores,
        };
        var kernels = new KernelFlags(ctx);
        foreach (var o in kernels.All) cmd.Options.Add(o);
        cmd.SetAction(async (r, cancel) =>
        {
            var imgText = BenchSupport.ImageOrFib25(r.GetValue(image));
            var modelPath = BenchSupport.ModelOrFib25(r.GetValue(model));
            var counts = (r.GetValue(workers) ?? "1,2").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, out var n) && n >= 1 ? n : throw new UsageException($"--workers {t}: expected positive counts")).ToArray();
            int nCores = r.GetValue(cores) > 0 ? r.GetValue(cores) : Environment.ProcessorCount;
            var crop = new Box3(Flags.ParseVec("--corner", r.GetValue(corner), positive: false), Flags.ParseVec("--size", r.GetValue(size)));
            var blockShape = Flags.ParseVec("--block-shape", r.GetValue(block));
            using var net = ModelCheckpoint.Load(modelPath);
            var cfg = net.Config;
            kernels.Prepare(r, KernelPurpose.Inference);
            var dev = TorchRuntime.ParseDevice("cpu");
            var tmp = Directory.CreateTempSubdirectory("ffn-bench-run-").FullName;
            var ci = CultureInfo.InvariantCulture;
            try
            {
                var input = Path.Combine(tmp, "crop.h5");
                using (var reader = VolumeStore.OpenRead(VolumeSpec.Parse(imgText)))
                {
                    if (!reader.Info.Box.Contains(crop)) throw new UsageException($"--corner/--size {crop}: outside {imgText} {reader.Info.Shape}");
                    var v = reader.Read(crop);
                    v.Offset = Vec3i.Zero;
                    Hdf5VolumeWriter.WriteVolume(input, "raw", v);
                }
                int blockCount = BlockGrid.Tile(crop.Size, blockShape, Vec3i.Zero, cfg.FovSize / 2 + cfg.Deltas, cfg.FovSize).Count;
                TorchRuntime.SetThreads(1);
                double bareMs;
                using (var timer = new ForwardTimer(net, dev))
                {
                    timer.Time(1, 1);
                    bareMs = BenchSupport.Median(timer.Time(1, 7));
                }
                ctx.Out.WriteLine(string.Create(ci, $"{imgText} crop {crop} in {blockCount} blocks of {blockShape}; {nCores} cores; bare forward at 1 thread: {bareMs:F0} ms per FoV"));
                var settings = new SegmentationSettings
                {
                    Image = VolumeSpec.Parse(input + ":raw"), ModelPath = modelPath, Deltas = cfg.Deltas, ImageMean = cfg.ImageMean, ImageStddev = cfg.ImageStddev,
                    Options = new InferenceOptions { InitActivation = cfg.InitActivation, PadValue = cfg.PadValue, MoveThreshold = cfg.MoveThreshold, SegmentThreshold = cfg.SegmentThreshold },
                };
                foreach (int w in counts)
                {
                    int threads = Math.Max(1, nCores / w);
                    TorchRuntime.SetThreads(threads);
                    var plan = RunPlan.Build(settings, cfg, Path.Combine(tmp, $"run-{w}"), blockShape, Vec3i.Zero, null, null, new MergeOptions(MergeMode.Faces), w);
                    Directory.CreateDirectory(plan.Store.BlocksDir);
                    var system = ActorSystem.Create("bench", ctx.Config.Raw);
                    var clock = Stopwatch.StartNew();
                    IFfnMessage verdict;
                    try
                    {
                        verdict = await LocalRun.RunAsync(system, new RunSpec(plan, new CoordinatorSettings()), SegmentationBlockProcessor.For(),
                            new WorkerPoolSettings { Workers = w }, ctx.Progress.Report, cancel, isEmpty: _ => false);
                    }
                    finally { await system.Terminate(); }
                    double wall = clock.Elapsed.TotalSeconds;
                    if (verdict is not RunCompleted done) throw new InvalidOperationException($"bench run with {w} workers aborted: {((RunAborted)verdict).Error}");
                    var sum = done.Summary;
                    double busy = sum.Blocks.Sum(b => b.Seconds);
                    long evals = sum.Counters.GetValueOrDefault(Counters.NetworkEvaluations);
                    double predict = sum.Counters.GetValueOrDefault(Counters.PredictMs) / 1000.0;
                    double workerTime = w * wall;
                    ctx.Out.WriteLine(string.Create(ci,
                        $"workers {w} x {threads} threads: {wall:F1} s, {plan.Blocks.Count / wall:F3} blocks/s, {crop.Volume / wall:F0} voxels/s, {evals} evaluations ({evals / wall:F2}/s); " +
                        $"worker time {workerTime:F1} s: in blocks {100 * busy / workerTime:F1}%, in network calls {100 * predict / workerTime:F1}%, " +
                        $"outside network calls {100 * (1 - predict / workerTime):F1}% (inside blocks: {100 * (1 - predict / Math.Max(busy, 1e-9)):F1}%)"));
                }
            }
            finally
            {
                Directory.Delete(tmp, recursive: true);
            }
            return FfnCli.Ok;
        });
        return cmd;
    }
}
