using System.Diagnostics;
using Ffn.Model.Checkpoints;
using Ffn.Model.Inference;

namespace Ffn.Model.Blocks;

/// <summary>
/// The real block processor: a Canvas over the block's read box with the run's network, through
/// <see cref="SubvolumeRunner"/> (atomic result files, in-block checkpoints). The model is loaded on first use,
/// on the thread that runs blocks, and kept for every later block of this worker.
/// </summary>
public sealed class SegmentationBlockProcessor(SegmentationSettings settings, BlockResultStore store, string device, Network.ForwardSettings? forward = null)
    : IBlockProcessor
{
    private NetworkFovPredictor? _predictor;

    /// <summary>
    /// What a worker makes for each run it takes part in: its own model copy on the worker's device, run with
    /// <paramref name="forward"/> (--precision, layout).
    /// </summary>
    public static BlockProcessorFactory For(Network.ForwardSettings? forward = null) =>
        (settings, runDir, device) => new SegmentationBlockProcessor(settings, new BlockResultStore(runDir), device, forward);

    public BlockOutcome Process(BlockSpec block, CancellationToken cancel)
    {
        _predictor ??= new NetworkFovPredictor(ModelCheckpoint.Load(settings.ModelPath), Network.TorchRuntime.ParseDevice(device), forward);
        Directory.CreateDirectory(store.BlocksDir);
        var req = new SubvolumeRequest
        {
            Settings = settings,
            Box = block.Read,
            OutputDir = store.BlocksDir,
            ResultName = block.Name,
            SeedRegion = settings.SeedInContext ? null : block.LabelBox,
        };
        var clock = Stopwatch.StartNew();
        var r = SubvolumeRunner.Run(req, _predictor, cancel: cancel);
        return new BlockOutcome(r.SegmentationPath, r.Objects, r.Counters.Values.ToDictionary(), clock.Elapsed.TotalSeconds);
    }

    public void Dispose() => _predictor?.Dispose();
}
