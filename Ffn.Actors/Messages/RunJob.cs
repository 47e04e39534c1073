using Ffn.Model.Inference;

namespace Ffn.Actors.Messages;

/// <summary>
/// What a worker needs to process any block of a run: where results go and how to segment. Sent with every
/// assignment, so workers stay run-agnostic and a worker node that joins mid-run needs nothing else.
/// </summary>
public sealed record RunJob(string RunId, string RunDir, SegmentationSettings Settings) : IFfnMessage;
