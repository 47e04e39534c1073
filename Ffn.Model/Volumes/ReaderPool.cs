using System.Collections.Concurrent;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes;

/// <summary>
/// A volume that any number of threads read at once: each read borrows a reader from a pool, opening another when
/// all are busy (a reader such as <see cref="Zarr.ZarrVolumeReader"/> keeps a chunk cache and serves one thread).
/// The pool grows to the largest number of concurrent reads; disposing it disposes every reader.
/// </summary>
public sealed class ReaderPool : IVolumeReader
{
    private readonly Func<IVolumeReader> _open;
    private readonly ConcurrentBag<IVolumeReader> _idle = new();
    private readonly ConcurrentQueue<IVolumeReader> _all = new();

    public ReaderPool(Func<IVolumeReader> open)
    {
        _open = open;
        var first = open();
        Source = first.Source;
        Info = first.Info;
        _all.Enqueue(first);
        _idle.Add(first);
    }

    public string Source { get; }
    public VolumeInfo Info { get; }

    public Volume Read(Box3 box)
    {
        if (!_idle.TryTake(out var reader))
        {
            reader = _open();
            _all.Enqueue(reader);
        }
        try
        {
            return reader.Read(box);
        }
        finally
        {
            _idle.Add(reader);
        }
    }

    public void Dispose()
    {
        while (_all.TryDequeue(out var r)) r.Dispose();
    }
}
