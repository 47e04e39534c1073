using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using Ffn.Model.Volumes;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// The subvolume a benchmark segments: --image, --model, --corner and --size (HOCON ffn.bench.SECTION.*, image and
/// model defaulting to ../shared's FIB-25 sample and checkpoint) and --batch-canvases (ffn.infer).
/// </summary>
public sealed class SubvolumeBenchFlags(CommandContext ctx, string section)
{
    public Option<string> Image { get; } = Flags.Make<string>(ctx, section, "--image", "Image volume PATH.h5:dataset (\"\" = ../shared's FIB-25 training_sample1.h5:raw)");
    public Option<string> Model { get; } = Flags.Make<string>(ctx, section, "--model", "Checkpoint (\"\" = ../shared's Google FIB-25 checkpoint)");
    public Option<string> Corner { get; } = Flags.Make<string>(ctx, section, "--corner", "Subvolume corner z,y,x");
    public Option<string> Size { get; } = Flags.Make<string>(ctx, section, "--size", "Subvolume size z,y,x");
    public Option<string> Batch { get; } = Flags.Make<string>(ctx, "infer", "--batch-canvases", "Objects grown at once, their FoVs batched: N or auto (1 = Google's order; auto times the network on CUDA)");

    public IEnumerable<Option> All => [Image, Model, Corner, Size, Batch];

    public string ImagePath(ParseResult r) => ImageOrFib25(r.GetValue(Image));
    public string ModelPath(ParseResult r) => ModelOrFib25(r.GetValue(Model));
    /// <param name="device">Where the network runs: auto is timed there when it is a GPU.</param>
    public int BatchCanvases(ParseResult r, string device, IProgress<string>? progress) =>
        AutoBatch.Resolve(r.GetValue(Batch), Batch.Name, ModelPath(r), device, progress);

    public Box3 Box(ParseResult r) => new(Flags.ParseVec("--corner", r.GetValue(Corner), positive: false), Flags.ParseVec("--size", r.GetValue(Size)));

    /// <summary>The subvolume with the network's own settings, written to <paramref name="outDir"/>.</summary>
    /// <param name="batchCanvases">The resolved --batch-canvases (<see cref="BatchCanvases"/>).</param>
    public SubvolumeRequest Request(ParseResult r, ModelConfig cfg, string outDir, int batchCanvases) => new()
    {
        Settings = new SegmentationSettings
        {
            Image = VolumeSpec.Parse(ImagePath(r)), ModelPath = ModelPath(r), Deltas = cfg.Deltas, ImageMean = cfg.ImageMean, ImageStddev = cfg.ImageStddev,
            BatchCanvases = batchCanvases,
        },
        Box = Box(r),
        OutputDir = outDir,
    };
}
