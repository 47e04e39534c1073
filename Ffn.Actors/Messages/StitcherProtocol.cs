using Ffn.Model.Stitching;

namespace Ffn.Actors.Messages;

/// <summary>Coordinator → stitcher: a block is final. ResultPath null = empty block (all background).</summary>
public sealed record BlockReady(string RunId, int BlockId, string? ResultPath) : IFfnMessage;

/// <summary>Coordinator → stitcher: every block is final; write the output volume.</summary>
public sealed record FinishStitch(string RunId) : IFfnMessage;

/// <summary>Stitcher → coordinator: the output is written.</summary>
public sealed record StitchCompleted(string RunId, StitchSummary Summary) : IFfnMessage;

/// <summary>Stitcher → coordinator: merging or writing failed.</summary>
public sealed record StitchFailed(string RunId, string Error) : IFfnMessage;
