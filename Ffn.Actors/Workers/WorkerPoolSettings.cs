namespace Ffn.Actors.Workers;

/// <summary>A node's inference workers (each a flag and a HOCON key in the host).</summary>
public sealed record WorkerPoolSettings
{
    public int Workers { get; init; } = 1;

    /// <summary>
    /// The devices workers run on: worker slot i uses Devices[i mod count], so `--devices cuda:0,cuda:1
    /// --workers-per-device 2` spreads four workers over both GPUs. Each worker holds its own model copy there.
    /// </summary>
    public IReadOnlyList<string> Devices { get; init; } = ["cpu"];

    public string DeviceOf(int slot) => Devices[slot % Devices.Count];

    /// <summary>A stopped worker (abandoned after a deadline, or past its restart budget) is replaced after this.</summary>
    public TimeSpan ReplaceDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Infrastructure faults restart a worker at most this often within <see cref="RestartWindow"/>; then it stops.</summary>
    public int MaxRestarts { get; init; } = 10;
    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>An idle worker asks the coordinator again this often (zero = only after each block), so a moved coordinator finds it.</summary>
    public TimeSpan RequestInterval { get; init; } = TimeSpan.Zero;

    /// <summary>How long stopping waits for the actors, then for blocks still inside the network.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
