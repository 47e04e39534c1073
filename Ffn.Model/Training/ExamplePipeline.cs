using System.Diagnostics;
using System.Threading.Channels;

namespace Ffn.Model.Training;

/// <summary>
/// Prepares examples (patch read, labels, augmentation) on a background task, in ordinal order, into a bounded
/// channel while the network trains; counts the time the trainer spends waiting for one.
/// </summary>
public sealed class ExamplePipeline : IDisposable
{
    private readonly Channel<TrainingExample> _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private readonly Stopwatch _waiting = new();

    public ExamplePipeline(ExampleFactory factory, long firstOrdinal, int capacity)
    {
        NextOrdinal = firstOrdinal;
        _channel = Channel.CreateBounded<TrainingExample>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        var ct = _stop.Token;
        _producer = Task.Run(async () =>
        {
            try
            {
                for (long o = firstOrdinal; !ct.IsCancellationRequested; o++)
                    await _channel.Writer.WriteAsync(factory.Make(o), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                _channel.Writer.TryComplete(e);
                return;
            }
            _channel.Writer.TryComplete();
        });
    }

    /// <summary>Ordinal of the next example <see cref="Take"/> returns: where a resumed run continues.</summary>
    public long NextOrdinal { get; private set; }

    /// <summary>Total time <see cref="Take"/> blocked because no example was ready.</summary>
    public TimeSpan Waited => _waiting.Elapsed;

    public TrainingExample Take()
    {
        if (!_channel.Reader.TryRead(out var ex))
        {
            _waiting.Start();
            try
            {
                ex = _channel.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (ChannelClosedException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
            finally
            {
                _waiting.Stop();
            }
        }
        NextOrdinal = ex.Ordinal + 1;
        return ex;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _producer.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
