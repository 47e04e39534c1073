using System.Runtime.InteropServices;

namespace Ffn.Host.Cli;

/// <summary>
/// Turns SIGTERM and SIGINT into cancellation for long-running commands, so they stop cleanly (a node leaves the
/// cluster, a run keeps its committed blocks, training writes a checkpoint) instead of the runtime's default exit.
/// </summary>
public sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _term, _int;
    private readonly Action? _onFirst;
    private readonly bool _secondQuits;
    private int _count;

    /// <param name="onFirst">Runs at the first signal, e.g. to say what stopping will still do.</param>
    /// <param name="secondQuits">
    /// A second signal terminates the process at once, as without this class: for work whose clean stop can take
    /// longer than a user waits.
    /// </param>
    public TerminationSignals(CancellationToken outer, Action? onFirst = null, bool secondQuits = false)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        (_onFirst, _secondQuits) = (onFirst, secondQuits);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext c)
    {
        bool first = Interlocked.Increment(ref _count) == 1;
        if (!first && _secondQuits) return;
        c.Cancel = true; // we shut down ourselves
        if (first) _onFirst?.Invoke();
        _cts.Cancel();
    }

    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
        _cts.Dispose();
    }
}
