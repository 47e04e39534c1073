using Ffn.Model.Blocks;

namespace Ffn.Actors.Messages;

/// <summary>Worker → coordinator: ready for a block (pull; one block in flight per worker). Restarted = the first
/// request of a fresh worker instance, so any block the coordinator still thinks it holds is lost.</summary>
public sealed record RequestWork(string WorkerId, bool Restarted = false) : IFfnMessage;

/// <summary>Coordinator → worker: segment this block (geometry only; the worker reads the input itself).</summary>
public sealed record AssignBlock(RunJob Job, BlockSpec Block, int Attempt) : IWithBlockId
{
    public string RunId => Job.RunId;
    public int BlockId => Block.Index;
}

/// <summary>Worker → coordinator: the block's result is committed at ResultPath; Device is where it ran (cpu, cuda:N).</summary>
public sealed record BlockCompleted(string RunId, int BlockId, int Attempt, string WorkerId, string ResultPath, int Objects,
    IReadOnlyDictionary<string, long> Counters, double Seconds, string? Device = null) : IWithBlockId;

/// <summary>Worker → coordinator: the attempt failed; the coordinator decides whether to retry.</summary>
public sealed record BlockFailed(string RunId, int BlockId, int Attempt, string WorkerId, string Error, double Seconds) : IWithBlockId;

/// <summary>Coordinator → worker: the attempt ran past its deadline; give it up (the worker is replaced).</summary>
public sealed record AbandonBlock(string RunId, int BlockId, int Attempt) : IWithBlockId;

/// <summary>Coordinator → workers: the run is over.</summary>
public sealed record NoMoreWork(string RunId) : IFfnMessage;

/// <summary>Coordinator → whoever started the run: it finished (Complete = no block failed).</summary>
public sealed record RunCompleted(string RunId, bool Complete, string SummaryPath, RunSummary Summary) : IFfnMessage;

/// <summary>Coordinator → whoever started the run: the run could not finish (e.g. stitching failed).</summary>
public sealed record RunAborted(string RunId, string Error) : IFfnMessage;

/// <summary>Coordinator and stitcher → whoever started the run: one progress line.</summary>
public sealed record RunProgressLine(string RunId, string Text) : IFfnMessage;

/// <summary>A line for this node's log (worker and run-manager events); never crosses nodes.</summary>
public sealed record LogLine(string Text);
