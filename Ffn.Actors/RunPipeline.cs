using Akka.Actor;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Messages;
using Ffn.Actors.Stitching;
using Ffn.Model.Blocks;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Actors;

/// <summary>The coordinating half of a run, the same for local and cluster runs: a stitcher and a coordinator.</summary>
public static class RunPipeline
{
    /// <summary>
    /// Starts the run's stitcher and coordinator as children of <paramref name="parent"/>; progress and the verdict go
    /// to <paramref name="reportTo"/>. <paramref name="isEmpty"/> replaces the check of the input (and mask) for tests.
    /// </summary>
    public static (IActorRef Coordinator, IActorRef Stitcher) Start(IActorRefFactory parent, RunSpec spec, IActorRef reportTo, string prefix,
        Func<BlockSpec, bool>? isEmpty = null)
    {
        var plan = spec.Plan;
        var assembler = new BlockAssembler(plan.OutputShape, plan.StitchBlocks, plan.Merge) { SlabBytes = spec.Coordinator.StitchSlabBytes };
        var stitcher = parent.ActorOf(Stitcher.Props(plan.RunId, assembler, plan.Blocks, plan.Store,
            Outputs(plan), reportTo), $"{prefix}-stitcher");
        var coordinator = parent.ActorOf(RunCoordinator.Props(spec.Job, plan.Blocks, plan.Store,
            isEmpty ?? EmptyBlockCheck.ForVolumes(plan.Segmentation.Image, plan.Mask), stitcher, reportTo, spec.Coordinator, plan.Settings),
            $"{prefix}-coordinator");
        return (coordinator, stitcher);
    }

    private static StitchOutputs Outputs(RunPlan plan)
    {
        var o = plan.Outputs;
        var zarr = o.Zarr ? new OmeZarrImage(plan.ZarrPath, plan.OutputShape, plan.Segmentation.VoxelSize, o.ZarrChunks, ZarrCompressor.Parse(o.ZarrCompressor), plan.Region.Start) : null;
        return new StitchOutputs(o.Hdf5 ? plan.H5Path : null, "segmentation", o.Tiff ? plan.TiffPath : null, zarr, plan.Segmentation.Image,
            plan.IsPartial ? plan.Region : null);
    }
}
