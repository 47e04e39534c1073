using System.Diagnostics;
using Ffn.Model.Checkpoints;
using Ffn.Model.Inference;
using Ffn.Model.Inference.SeedPolicies;

namespace Ffn.Model.Blocks;

/// <summary>
/// The real block processor: a Canvas over the block's read box with the run's network, through
/// <see cref="SubvolumeRunner"/> (atomic result files, in-block checkpoints). The model is loaded on first use,
/// on the thread that runs blocks, and kept for every later block of this worker.
/// </summary>
public sealed class SegmentationBlockProcessor(SegmentationSettings settings, BlockResultStore store, string device) : IBlockProcessor
{
    private NetworkFovPredictor? _predictor;

    public BlockOutcome Process(BlockSpec block, CancellationToken cancel)
    {
        _predictor ??= new NetworkFovPredictor(ModelCheckpoint.Load(settings.ModelPath), Network.TorchRuntime.ParseDevice(device));
        Directory.CreateDirectory(store.BlocksDir);
        var req = new SubvolumeRequest
        {
            Image = settings.Image,
            Box = block.Read,
            OutputDir = store.BlocksDir,
            ResultName = block.Name,
            SeedRegion = settings.SeedInContext ? null : block.Seg,
            ImageMean = settings.ImageMean,
            ImageStddev = settings.ImageStddev,
            AutoNormalize = settings.PerBlockNormalization,
            Options = settings.Options,
            Deltas = settings.Deltas,
            SeedPolicy = settings.SeedPolicy,
            CheckpointInterval = settings.CheckpointInterval,
            BatchCanvases = settings.BatchCanvases,
        };
        var clock = Stopwatch.StartNew();
        var v = settings.VoxelSize;
        var r = SubvolumeRunner.Run(req, _predictor,
            (img, margin) => SeedPolicyRegistry.Create(settings.SeedPolicy, img, margin, (v.Z, v.Y, v.X)), null, cancel);
        return new BlockOutcome(r.SegmentationPath, r.Objects, r.Counters.Values.ToDictionary(), clock.Elapsed.TotalSeconds);
    }

    public void Dispose() => _predictor?.Dispose();
}
