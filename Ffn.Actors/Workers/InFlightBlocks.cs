namespace Ffn.Actors.Workers;

/// <summary>
/// The block threads of a worker pool. They outlive a worker that stops (cancelled run, block deadline, end of run)
/// and may be inside a libtorch call a while longer; its models are disposed on them once they let go. A process
/// must wait for them before it exits: exit() runs libtorch's static destructors, and a forward pass still running
/// under them dies with SIGSEGV.
/// </summary>
public sealed class InFlightBlocks
{
    private readonly List<Task> _tasks = [];

    public void Add(Task work)
    {
        lock (_tasks)
        {
            _tasks.RemoveAll(t => t.IsCompleted);
            _tasks.Add(work);
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for all of them to finish; returns how many still run.</summary>
    public async Task<int> DrainAsync(TimeSpan timeout)
    {
        Task[] pending;
        lock (_tasks) pending = _tasks.Where(t => !t.IsCompleted).ToArray();
        // WhenAny: a block's own outcome (even a fault) is the worker's business, not the drain's.
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(timeout)).ConfigureAwait(false);
        return pending.Count(t => !t.IsCompleted);
    }
}
