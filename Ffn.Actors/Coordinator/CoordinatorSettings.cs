namespace Ffn.Actors.Coordinator;

/// <summary>The coordinator's tunables (each a flag and a HOCON key ffn.run.* in the host).</summary>
public sealed record CoordinatorSettings
{
    public int MaxAttempts { get; init; } = 3;
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>An attempt running longer is abandoned and its worker replaced (zero = no deadline).</summary>
    public TimeSpan BlockDeadline { get; init; } = TimeSpan.Zero;

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of one output slab the stitcher may hold while it writes the volume.</summary>
    public long StitchSlabBytes { get; init; } = 1L << 30;
}
