namespace Ffn.Model.Training;

/// <summary>
/// Training produced a non-finite loss or non-finite weights at <see cref="Step"/> (1-based). Nothing from that
/// state is saved, so the newest checkpoint stays the last finite one.
/// </summary>
public sealed class TrainingDivergedException(long step, string what)
    : Exception($"training diverged at step {step} ({what})")
{
    public long Step { get; } = step;
}
