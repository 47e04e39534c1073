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

/// <summary>
/// Asks the run manager whether it would take a run (every file it names under the coordinator's data roots), so a
/// submitter can stop before it writes anything. Answered with <see cref="RunAllowed"/> or <see cref="RunRefused"/>.
/// </summary>
public sealed record CheckRun(RunSpec Spec) : IFfnMessage;

public sealed record RunAllowed(string RunId) : IFfnMessage;

/// <summary>The run names a file outside the cluster's data roots: the submitter's usage error (exit 2), not a failure.</summary>
public sealed record RunRefused(string RunId, string Error) : IFfnMessage;
