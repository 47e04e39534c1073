using System.CommandLine;
using Ffn.Model.Inference;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Network;
using Ffn.Model.Volumes;

namespace Ffn.Host.Cli;

/// <summary>
/// The Canvas settings shared by `ffn infer` and `ffn run` (defaults under ffn.infer.*; thresholds default to the
/// model's JSON sidecar), so both commands segment a block the same way.
/// </summary>
public sealed class InferenceFlags
{
    private const string S = "infer";
    public Option<double?> Init { get; } = new("--init-act", "--init_act") { Description = "Seed activation (default: the model's, 0.95)" };
    public Option<double?> Pad { get; } = new("--pad-value", "--pad_value") { Description = "Activation outside the object (default: the model's, 0.05)" };
    public Option<double?> Move { get; } = new("--move-threshold", "--move_threshold") { Description = "FoV move threshold (default: the model's, 0.9)" };
    public Option<double?> Seg { get; } = new("--seg-threshold", "--seg_threshold") { Description = "Segment threshold (default: the model's, 0.6)" };
    public Option<double?> Mean { get; } = new("--image-mean", "--image_mean") { Description = "Image mean (default: the model's)" };
    public Option<double?> Std { get; } = new("--image-stddev", "--image_stddev") { Description = "Image standard deviation (default: the model's)" };
    public Option<double> Diff { get; }
    public Option<int> MinSeg { get; }
    public Option<string> MinBoundDist { get; }
    public Option<double> Disco { get; }
    public Option<double> CkpInterval { get; }
    public Option<string> Policy { get; }
    public Option<string> VoxelSize { get; }
    public Option<string> Batch { get; }

    public InferenceFlags(CommandContext ctx)
    {
        Diff = Flags.Make<double>(ctx, S, "--diff-threshold", "FFN-PyTorch self-consistency threshold (0 = off, Google's behaviour)", "--diff_threshold");
        MinSeg = Flags.Make<int>(ctx, S, "--min-seg-size", "Smallest object kept, voxels", "--min_seg_size");
        MinBoundDist = Flags.Make<string>(ctx, S, "--min-bound-dist", "Seeds this close (x,y,z) to a segment are skipped", "--min_bound_dist");
        Disco = Flags.Make<double>(ctx, S, "--disco-seed-threshold", "Disconnected-seed bias fraction (negative = off)");
        CkpInterval = Flags.Make<double>(ctx, S, "--ckp-interval", "Seconds between inference checkpoints (0 = none)", "--ckp_interval");
        Policy = Flags.Make<string>(ctx, S, "--seed-policy", "PolicyPeaks or PolicyGrid3d");
        VoxelSize = Flags.Make<string>(ctx, S, "--voxel-size", "Voxel size z,y,x in nanometres: the seed policy's distance transform and final_result.zarr's scale");
        Batch = Flags.Make<string>(ctx, S, "--batch-canvases",
            "Objects grown at once, their FoVs evaluated as one batch: N, or auto (1 = Google's exact order on CPU; on CUDA, chosen by timing the network)");
    }

    public IEnumerable<Option> All => [Init, Pad, Move, Seg, Mean, Std, Diff, MinSeg, MinBoundDist, Disco, CkpInterval, Policy, VoxelSize, Batch];

    public InferenceOptions Options(ParseResult r, ModelConfig cfg, bool keepProbability)
    {
        var o = new InferenceOptions
        {
            InitActivation = r.GetValue(Init) ?? cfg.InitActivation,
            PadValue = r.GetValue(Pad) ?? cfg.PadValue,
            MoveThreshold = r.GetValue(Move) ?? cfg.MoveThreshold,
            SegmentThreshold = r.GetValue(Seg) ?? cfg.SegmentThreshold,
            DiffThreshold = r.GetValue(Diff),
            MinSegmentSize = r.GetValue(MinSeg),
            MinBoundaryDist = Flags.ParseVec("--min-bound-dist", r.GetValue(MinBoundDist), positive: false).Reversed(),
            DiscoSeedThreshold = r.GetValue(Disco),
            KeepProbabilityMap = keepProbability,
        };
        o.Validate();
        return o;
    }

    /// <summary>How to segment, from these flags and the network's own settings (the defaults of the flags not given).</summary>
    /// <param name="device">Where the network will run: --batch-canvases auto is calibrated there when it is a GPU.</param>
    public SegmentationSettings Settings(ParseResult r, ModelConfig cfg, VolumeSpec image, string modelPath, bool autoNormalize, bool keepProbability,
        string device, IProgress<string>? progress = null)
    {
        var settings = new SegmentationSettings
        {
            Image = image,
            ModelPath = modelPath,
            Deltas = cfg.Deltas,
            ImageMean = r.GetValue(Mean) ?? cfg.ImageMean,
            ImageStddev = r.GetValue(Std) ?? cfg.ImageStddev,
            AutoNormalize = autoNormalize,
            Options = Options(r, cfg, keepProbability),
            SeedPolicy = PolicyName(r),
            VoxelSize = Flags.ParseVec("--voxel-size", r.GetValue(VoxelSize)),
            BatchCanvases = BatchCanvases(r, modelPath, device, progress),
            CheckpointInterval = r.GetValue(CkpInterval),
        };
        settings.Validate();
        return settings;
    }

    public string PolicyName(ParseResult r)
    {
        var name = r.GetValue(Policy)!;
        Flags.Choice(Policy.Name, name, [.. SeedPolicyRegistry.Names.Select(n => (n, n))]);
        return name; // as given, not as listed: run.json records it, and resuming compares it
    }

    public int BatchCanvases(ParseResult r, string modelPath, string device, IProgress<string>? progress) =>
        AutoBatch.Resolve(r.GetValue(Batch), Batch.Name, modelPath, device, progress);
}
