using Ffn.Model.Volumes;

namespace Ffn.Model.Blocks;

/// <summary>
/// One writer per run directory: an exclusive OS lock on DIR/run.lock (FileShare.None, a flock on Linux) held while
/// this object lives. The kernel drops it when its process dies, even by SIGKILL, so a killed run never blocks the
/// resume. The file stays: deleting it on release would let the next two runs lock two different files of one name.
/// The holder is the only process writing in DIR, so any temporaries there (DIR and DIR/blocks) were left by a
/// process that died mid-write: taking the lock deletes them. (DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns the lock off.)
/// </summary>
public sealed class RunDirectoryLock : IDisposable
{
    public const string FileName = "run.lock";
    // Who holds the lock, for the message of a run it turns away (a locked file cannot be read through .NET).
    public const string OwnerFileName = "run.lock.owner";

    // What .NET reports when the lock is taken: flock's errno on Linux, ERROR_SHARING_VIOLATION on Windows.
    private const int EWouldBlock = 11, SharingViolation = unchecked((int)0x80070020);

    private readonly FileStream _lock;

    private RunDirectoryLock(FileStream lockStream, IReadOnlyList<string> removed)
    {
        _lock = lockStream;
        RemovedTemporaries = removed;
    }

    /// <summary>Stale temporaries deleted when the lock was taken.</summary>
    public IReadOnlyList<string> RemovedTemporaries { get; }

    /// <summary>
    /// Takes the lock on the existing directory <paramref name="runDir"/>, or returns null when another process (or
    /// another run in this one) holds it; <paramref name="busy"/> then says so, naming the holder when known.
    /// </summary>
    public static RunDirectoryLock? TryAcquire(string runDir, out string? busy)
    {
        var path = Path.Combine(runDir, FileName);
        var owner = Path.Combine(runDir, OwnerFileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.HResult is EWouldBlock or SharingViolation)
        {
            string? holder;
            try { holder = File.ReadAllText(owner).Trim(); }
            catch (Exception re) when (re is IOException or UnauthorizedAccessException) { holder = null; }
            busy = "in use by another ffn run" + (string.IsNullOrEmpty(holder) ? "" : $" ({holder})");
            return null;
        }
        busy = null;
        try
        {
            var removed = AtomicFile.DeleteTemporaries(runDir).Concat(AtomicFile.DeleteTemporaries(new BlockResultStore(runDir).BlocksDir)).ToList();
            AtomicFile.WriteAllText(owner, $"pid {Environment.ProcessId} on {Environment.MachineName}\n");
            return new RunDirectoryLock(stream, removed);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void Dispose() => _lock.Dispose();
}
