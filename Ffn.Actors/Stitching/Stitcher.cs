using Akka.Actor;
using Ffn.Actors.Messages;
using Ffn.Model.Blocks;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;

namespace Ffn.Actors.Stitching;

/// <summary>
/// Consumes finished blocks as they arrive (merge bookkeeping in <see cref="BlockAssembler"/>, one block at a
/// time, off the dispatcher) and writes the output volume once the coordinator says every block is final.
/// Blocks are read from their committed files; only the assembler's merge state is kept in memory. Progress
/// lines of the write go to whoever started the run.
/// </summary>
public sealed class Stitcher : ReceiveActor, IWithUnboundedStash
{
    private readonly BlockAssembler _assembler;
    private readonly IReadOnlyList<BlockSpec> _blocks;
    private readonly BlockResultStore _store;
    private readonly StitchOutputs _outputs;
    private readonly IActorRef _reportTo;
    private readonly string _runId;
    private readonly Dictionary<int, string?> _paths = [];
    private readonly CancellationTokenSource _cancel = new();
    private IActorRef _coordinator = ActorRefs.Nobody;

    public IStash Stash { get; set; } = null!;

    public Stitcher(string runId, BlockAssembler assembler, IReadOnlyList<BlockSpec> blocks, BlockResultStore store, StitchOutputs outputs, IActorRef reportTo)
    {
        _runId = runId;
        _assembler = assembler;
        _blocks = blocks;
        _store = store;
        _outputs = outputs;
        _reportTo = reportTo;
        Become(Idle);
    }

    public static Props Props(string runId, BlockAssembler assembler, IReadOnlyList<BlockSpec> blocks, BlockResultStore store, StitchOutputs outputs,
        IActorRef reportTo) =>
        Akka.Actor.Props.Create(() => new Stitcher(runId, assembler, blocks, store, outputs, reportTo));

    /// <summary>A block's committed labels; null for an empty block.</summary>
    private Volume<uint>? Load(int block, string? path)
    {
        if (path == null) return null;
        var seg = _store.LoadSeg(_blocks[block]);
        if (_outputs.Region is { } region) seg.Offset -= region.Start;
        return seg;
    }

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
                _assembler.Add(m.BlockId, Load(m.BlockId, m.ResultPath));
                return (object)Added.Instance;
            }).PipeTo(self, failure: e => new AddFailed(m.RunId, m.BlockId, e));
        });
        Receive<FinishStitch>(m =>
        {
            Become(Busy);
            var self = Self;
            var sender = Sender;
            var token = _cancel.Token;
            var progress = new Progress(_runId, _reportTo);
            Task.Run(() =>
            {
                if (_outputs.Zarr is { } zarr) _assembler.Output.Zarr = zarr.BeginLabels(DType.UInt32);
                var summary = _assembler.Write(i => Load(i, _paths.GetValueOrDefault(i)), _outputs.H5Path, _outputs.H5Dataset, _outputs.TiffPath, progress, token);
                if (_outputs.Zarr is { } z)
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var input = VolumeStore.OpenRead(_outputs.Image!);
                    using var image = _outputs.Region is { } region ? new RegionReader(input, region) : input;
                    z.Finish(image, progress, token);
                    summary = summary with { ZarrFinishSeconds = clock.Elapsed.TotalSeconds };
                }
                return (object)new StitchCompleted(m.RunId, summary);
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

    private sealed class Progress(string runId, IActorRef reportTo) : IProgress<string>
    {
        public void Report(string value) => reportTo.Tell(new RunProgressLine(runId, value));
    }

    private sealed class Added
    {
        public static readonly Added Instance = new();
    }

    private sealed record AddFailed(string RunId, int BlockId, Exception Error);
}
