using Ffn.Actors.Coordinator;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Actors.Messages;

/// <summary>
/// A whole run as data: input geometry, block layout, segmentation and merge settings, where results go. Small
/// (paths and numbers), so a submitter can hand it to a coordinator on another node, again after a fail-over.
/// </summary>
public sealed record RunSpec(
    string RunId,
    string RunDir,
    Vec3i VolumeShape,
    Vec3i BlockShape,
    Vec3i Overlap,
    Vec3i Context,
    Vec3i Fov,
    VolumeSpec? Mask,
    SegmentationSettings Settings,
    MergeOptions Merge,
    CoordinatorSettings Coordinator,
    string SettingsJson) : IFfnMessage
{
    public RunJob Job => new(RunId, RunDir, Settings);
    public string H5Path => Path.Combine(RunDir, "final_result.h5");
    public string TiffPath => Path.Combine(RunDir, "final_result.tif");
}

/// <summary>Submitter → run manager: start this run, or (same RunId) keep reporting it to me.</summary>
public sealed record SubmitRun(RunSpec Spec) : IFfnMessage;

/// <summary>Run manager → submitter: the run is going on.</summary>
public sealed record RunAccepted(string RunId) : IFfnMessage;
