using System.Runtime.InteropServices;

namespace Ffn.Host.Cli;

/// <summary>
/// Turns SIGTERM and SIGINT into cancellation for long-running commands, so they stop cleanly (a node leaves the
/// cluster, a run keeps its committed blocks) instead of the runtime's default exit.
/// </summary>
public sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _term, _int;

    public TerminationSignals(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
    }

    public CancellationToken Token => _cts.Token;

    private void Handle(PosixSignalContext c)
    {
        c.Cancel = true; // we shut down ourselves
        _cts.Cancel();
    }

    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
        _cts.Dispose();
    }
}
