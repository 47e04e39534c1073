using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;

namespace Ffn.Host.Commands;

/// <summary>`ffn model import SRC --out DIR`: any supported checkpoint as ours (PyTorch state_dict + JSON sidecar).</summary>
public static class ModelImportCommand
{
    public static Command Create(CommandContext ctx)
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
            var architecture = r.GetValue(arch) is { } a ? NetworkVariants.Parse(a) : (NetworkVariant?)null;
            OutputDirectory.Ensure("--out", dir);
            using var model = ModelCheckpoint.Load(source);
            var config = model.Config with
            {
                Architecture = architecture ?? model.Config.Architecture,
                FovSize = fovSize,
                Deltas = deltasZyx,
                ImageMean = r.GetValue(mean),
                ImageStddev = r.GetValue(std),
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

    private static string DefaultName(string source)
    {
        var p = Directory.Exists(source) ? Directory.GetFiles(source, "*.index")[0] : source;
        p = TfCheckpointReader.PrefixOf(p);
        var n = Path.GetFileName(p.TrimEnd('/'));
        return n.EndsWith(".pkl", StringComparison.Ordinal) || n.EndsWith(".pt", StringComparison.Ordinal) || n.EndsWith(".pth", StringComparison.Ordinal)
            ? Path.GetFileNameWithoutExtension(n) : n;
    }
}
