namespace Ffn.Model.Checkpoints;

/// <summary>A checkpoint that cannot be used as given (unknown format, truncated, wrong shapes): one line naming the file.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : InputException(message, inner);
