using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands;

/// <summary>`ffn model import|info|forward`: bring in FFN-PyTorch and Google checkpoints, inspect and run them.</summary>
public static class ModelCommand
{
    public static Command Create(CommandContext ctx)
    {
        var cmd = new Command("model", "Import, inspect and run FFN checkpoints (ours, FFN-PyTorch .pkl, Google TensorFlow)");
        cmd.Subcommands.Add(Import(ctx));
        cmd.Subcommands.Add(Info(ctx));
        cmd.Subcommands.Add(Forward(ctx));
        return cmd;
    }

    private static Command Import(CommandContext ctx)
    {
        var src = new Argument<string>("source") { Description = "FFN-PyTorch .pkl/.pt, our checkpoint, or a TensorFlow checkpoint prefix (model.ckpt-N) / its .index" };
        var outDir = new Option<string>("--out") { Description = "Directory to write <name>.pkl and <name>.json into", Required = true };
        var name = new Option<string?>("--name") { Description = "Checkpoint name (default: from the source file)" };
        var arch = Flags.Make<string?>(ctx, "model", "--architecture", "convstack_3d or ffnpy_basic (default: detected from the weights)");
        var fov = Flags.Make<string>(ctx, "model", "--fov-size", "FoV the network was trained with, z,y,x");
        var deltas = Flags.Make<string>(ctx, "model", "--deltas", "FoV movement step it was trained with, z,y,x");
        var mean = Flags.Make<double>(ctx, "model", "--image-mean", "Image mean used in training");
        var std = Flags.Make<double>(ctx, "model", "--image-stddev", "Image standard deviation used in training");
        var c = new Command("import", "Convert a checkpoint to ours (PyTorch state_dict + JSON sidecar); the format is detected")
        {
            src, outDir, name, arch, fov, deltas, mean, std,
        };
        c.SetAction(r =>
        {
            var source = r.GetValue(src)!;
            var dir = r.GetValue(outDir)!;
            // Flags and the output folder are checked before the checkpoint is read.
            var stem = r.GetValue(name) is { } n ? FileName("--name", n) : null;
            var fovSize = Flags.ParseVec("--fov-size", r.GetValue(fov));
            var deltasZyx = Flags.ParseVec("--deltas", r.GetValue(deltas), positive: false);
            var imageMean = Finite("--image-mean", r.GetValue(mean));
            var imageStddev = Finite("--image-stddev", r.GetValue(std));
            var architecture = r.GetValue(arch) is { } a ? NetworkVariants.Parse(a) : (NetworkVariant?)null;
            OutputDirectory.Ensure("--out", dir);
            using var model = ModelCheckpoint.Load(source);
            var config = model.Config with
            {
                Architecture = architecture ?? model.Config.Architecture,
                FovSize = fovSize,
                Deltas = deltasZyx,
                ImageMean = imageMean,
                ImageStddev = imageStddev,
                Source = Path.GetFullPath(source),
            };
            if (config.Architecture != model.Config.Architecture)
                throw new UsageException($"--architecture {config.Architecture.Name()}: the weights in {source} are {model.Config.Architecture.Name()}");
            config.Validate();
            var path = Path.Combine(dir, (stem ?? DefaultName(source)) + ".pkl");
            ModelCheckpoint.Save(model, path, config);
            ctx.Out.WriteLine($"wrote {path} and {ModelConfig.SidecarPath(path)} ({ModelCheckpoint.Detect(source)} {config.Architecture.Name()}, depth {config.Depth}, {config.Features} features, step {config.TrainingStep})");
            return FfnCli.Ok;
        });
        return c;
    }

    /// <summary>A name that becomes DIR/NAME.pkl and DIR/NAME.json must stay a file name inside DIR.</summary>
    private static string FileName(string flag, string name) =>
        string.IsNullOrWhiteSpace(name) || name.IndexOfAny(['/', '\\', '\0']) >= 0
            ? throw new UsageException($"{flag} '{name}': not a file name (it must be non-empty, without '/' or '\\')")
            : name;

    private static double Finite(string flag, double value) => double.IsFinite(value)
        ? value
        : throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{flag} {value}: not a finite number"));

    private static string DefaultName(string source)
    {
        var p = Directory.Exists(source) ? Directory.GetFiles(source, "*.index")[0] : source;
        p = TfCheckpointReader.PrefixOf(p);
        var n = Path.GetFileName(p.TrimEnd('/'));
        return n.EndsWith(".pkl", StringComparison.Ordinal) || n.EndsWith(".pt", StringComparison.Ordinal) || n.EndsWith(".pth", StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(n) : n;
    }

    private static Command Info(CommandContext ctx)
    {
        var ckpt = new Argument<string>("checkpoint") { Description = "Any supported checkpoint" };
        var json = new Option<bool>("--json") { Description = "Print as JSON" };
        var c = new Command("info", "Architecture, parameter count, FLOPs per FoV step, training step and settings of a checkpoint") { ckpt, json };
        c.SetAction(r =>
        {
            var path = r.GetValue(ckpt)!;
            using var model = ModelCheckpoint.Load(path);
            var cfg = model.Config;
            double gflop = ConvStack3D.FlopsPerFov(cfg) / 1e9;
            if (r.GetValue(json))
            {
                ctx.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    format = ModelCheckpoint.Detect(path).ToString(),
                    architecture = cfg.Architecture.Name(),
                    depth = cfg.Depth,
                    features = cfg.Features,
                    parameters = model.ParameterCount,
                    gflop_per_fov = gflop,
                    fov_size_zyx = cfg.FovSize.ToArray(),
                    deltas_zyx = cfg.Deltas.ToArray(),
                    training_step = cfg.TrainingStep,
                    image_mean = cfg.ImageMean,
                    image_stddev = cfg.ImageStddev,
                    pad_value = cfg.PadValue,
                    init_activation = cfg.InitActivation,
                    move_threshold = cfg.MoveThreshold,
                    has_sidecar = File.Exists(ModelConfig.SidecarPath(path)),
                }));
                return FfnCli.Ok;
            }
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine($"checkpoint:    {path} ({ModelCheckpoint.Detect(path)})");
            ctx.Out.WriteLine($"architecture:  {cfg.Architecture.Name()}, depth {cfg.Depth}, {cfg.Features} features");
            ctx.Out.WriteLine(string.Create(ci, $"parameters:    {model.ParameterCount:N0}"));
            ctx.Out.WriteLine(string.Create(ci, $"compute:       {gflop:F2} GFLOP per FoV step ({cfg.FovSize} z,y,x)"));
            ctx.Out.WriteLine($"training step: {cfg.TrainingStep}");
            ctx.Out.WriteLine(string.Create(ci, $"settings:      fov {cfg.FovSize}, deltas {cfg.Deltas}, image mean {cfg.ImageMean} stddev {cfg.ImageStddev}, pad {cfg.PadValue}, init {cfg.InitActivation}, move threshold {cfg.MoveThreshold}"));
            if (!File.Exists(ModelConfig.SidecarPath(path)))
                ctx.Out.WriteLine("               (no JSON sidecar: settings are the published FIB-25 defaults; `ffn model import` records yours)");
            return FfnCli.Ok;
        });
        return c;
    }

    private static Command Forward(CommandContext ctx)
    {
        var ckpt = new Argument<string>("checkpoint") { Description = "Any supported checkpoint" };
        var input = new Option<string>("--input") { Description = ".npy float32 [n, 2, z, y, x] (image, seed logits) or [2, z, y, x]", Required = true };
        var output = new Option<string>("--output") { Description = ".npy to write the [n, 1, z, y, x] logit update to", Required = true };
        var device = Flags.Make<string>(ctx, "model", "--device", "auto (CUDA if available), cpu, cuda or cuda:N");
        var threads = Flags.Make<int>(ctx, "model", "--threads", "CPU threads for libtorch (0 = one per core)");
        var c = new Command("forward", "Run one forward pass on an .npy input (interop checks and debugging)") { ckpt, input, output, device, threads };
        var kernels = new KernelFlags(ctx);
        foreach (var o in kernels.All) c.Options.Add(o);
        c.SetAction(r =>
        {
            var inPath = r.GetValue(input)!;
            var outPath = r.GetValue(output)!;
            OutputDirectory.EnsureParent("--output", outPath);
            kernels.Prepare(r);
            TorchRuntime.SetThreads(r.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(r.GetValue(device)!);
            var x = NpyFile.Read(inPath);
            if (x.DType != DType.Float32)
                throw new InputException($"{inPath}: expected float32, found {x.DType.Name()}");
            long[] shape = x.Rank switch
            {
                5 => x.Shape,
                4 => [1, .. x.Shape],
                _ => throw new InputException($"{inPath}: expected shape [n, 2, z, y, x] or [2, z, y, x], found {x.ShapeText}"),
            };
            if (shape[1] != 2) throw new InputException($"{inPath}: expected 2 channels (image, seed logits), found {shape[1]} in {x.ShapeText}");
            if (x.Count == 0) throw new InputException($"{inPath}: empty input {x.ShapeText}: every dimension must be at least 1");
            using var p = new Predictor(ModelCheckpoint.Load(r.GetValue(ckpt)!), dev);
            var y = p.Forward(x.Get<float>(), shape);
            NpyFile.Write(outPath, NdArray.Create(y, shape[0], 1, shape[2], shape[3], shape[4]));
            ctx.Out.WriteLine($"wrote {outPath} [{shape[0]}, 1, {shape[2]}, {shape[3]}, {shape[4]}]");
            return FfnCli.Ok;
        });
        return c;
    }
}
