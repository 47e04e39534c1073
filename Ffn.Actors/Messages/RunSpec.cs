using Ffn.Actors.Coordinator;
using Ffn.Model.Blocks;

namespace Ffn.Actors.Messages;

/// <summary>A run handed to a coordinator: its plan and how the coordinator schedules it (local or on another node).</summary>
public sealed record RunSpec(RunPlan Plan, CoordinatorSettings Coordinator) : IFfnMessage
{
    public string RunId => Plan.RunId;
    public RunJob Job => new(Plan.RunId, Plan.RunDir, Plan.Segmentation);
}

/// <summary>Submitter → run manager: start this run, or (same RunId) keep reporting it to me.</summary>
public sealed record SubmitRun(RunSpec Spec) : IFfnMessage;

/// <summary>Run manager → submitter: the run is going on.</summary>
public sealed record RunAccepted(string RunId) : IFfnMessage;
