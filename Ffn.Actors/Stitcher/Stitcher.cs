using System.Text.Json;
using Akka.Actor;
using Ffn.Actors.Messages;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Actors.Stitcher;

/// <summary>
/// Consumes finished blocks as they arrive (merge bookkeeping in <see cref="BlockAssembler"/>, one block at a
/// time, off the dispatcher) and writes the output volume once the coordinator says every block is final.
/// Blocks are read from their committed files; only the assembler's merge state is kept in memory.
/// </summary>
public sealed class Stitcher : ReceiveActor, IWithUnboundedStash
{
    private readonly BlockAssembler _assembler;
    private readonly Func<int, string?, Volume<uint>?> _load;
    private readonly StitchOutputs _outputs;
    private readonly Action<string> _progress;
    private readonly Dictionary<int, string?> _paths = [];
    private readonly CancellationTokenSource _cancel = new();
    private IActorRef _coordinator = ActorRefs.Nobody;

    public IStash Stash { get; set; } = null!;

    public Stitcher(BlockAssembler assembler, Func<int, string?, Volume<uint>?> load, StitchOutputs outputs, Action<string>? progress)
    {
        _assembler = assembler;
        _load = load;
        _outputs = outputs;
        _progress = progress ?? (_ => { });
        Become(Idle);
    }

    public static Props Props(BlockAssembler assembler, Func<int, string?, Volume<uint>?> load, StitchOutputs outputs, Action<string>? progress = null) =>
        Akka.Actor.Props.Create(() => new Stitcher(assembler, load, outputs, progress));

    protected override void PostStop()
    {
        _cancel.Cancel();
        _assembler.Dispose();
    }

    private void Idle()
    {
        Receive<BlockReady>(m =>
        {
            if (_paths.ContainsKey(m.BlockId)) return; // a block is added once, whatever the coordinator repeats
            _paths[m.BlockId] = m.ResultPath;
            _coordinator = Sender;
            Become(Busy);
            var self = Self;
            Task.Run(() =>
            {
                _assembler.Add(m.BlockId, _load(m.BlockId, m.ResultPath));
                return (object)Added.Instance;
            }).PipeTo(self, failure: e => new AddFailed(m.RunId, m.BlockId, e));
        });
        Receive<FinishStitch>(m =>
        {
            Become(Busy);
            var self = Self;
            var sender = Sender;
            var token = _cancel.Token;
            var progress = new Progress(_progress);
            Task.Run(() =>
            {
                var summary = _assembler.Write(i => _load(i, _paths.GetValueOrDefault(i)), _outputs.H5Path, _outputs.H5Dataset, _outputs.TiffPath, progress, token);
                return (object)new StitchCompleted(m.RunId, JsonSerializer.Serialize(summary));
            }).PipeTo(sender, failure: e => new StitchFailed(m.RunId, Flatten(e)));
        });
    }

    private void Busy()
    {
        Receive<Added>(_ =>
        {
            Become(Idle);
            Stash.UnstashAll();
        });
        Receive<AddFailed>(m =>
        {
            _coordinator.Tell(new StitchFailed(m.RunId, $"block {m.BlockId}: {Flatten(m.Error)}"));
            Become(Idle);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private static string Flatten(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerException!;
        return $"{e.GetType().Name}: {e.Message.Split('\n')[0].TrimEnd()}";
    }

    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    private sealed class Added
    {
        public static readonly Added Instance = new();
    }

    private sealed record AddFailed(string RunId, int BlockId, Exception Error);
}
