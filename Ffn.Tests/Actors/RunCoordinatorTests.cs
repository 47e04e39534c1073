using Akka.Actor;
using Akka.TestKit.Xunit2;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Messages;
using Ffn.Actors.Workers;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Stitching;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Actors;

public class RunCoordinatorTests : TestKit, IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly IReadOnlyList<BlockSpec> _blocks =
        BlockGrid.Tile(new Vec3i(8, 16, 24), new Vec3i(8, 8, 8), Vec3i.Zero, Vec3i.Zero, Vec3i.One); // 6 blocks
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly StitchSummary NoStitch = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    // The coordinator's progress lines go to whoever started the run (TestActor here); these tests read verdicts.
    public RunCoordinatorTests() => IgnoreMessages<RunProgressLine>();

    private IActorRef Coordinator(IActorRef stitcher, CoordinatorSettings? settings = null, Func<BlockSpec, bool>? isEmpty = null) =>
        Sys.ActorOf(RunCoordinator.Props(new RunJob("r1", _tmp.Path, new SegmentationSettings { Image = VolumeSpec.Parse("x.h5:raw"), ModelPath = "none", Deltas = Vec3i.One }), _blocks, new BlockResultStore(_tmp.Path), isEmpty ?? (_ => false), stitcher, TestActor,
            settings ?? new CoordinatorSettings { RetryBackoff = TimeSpan.FromMilliseconds(10) }));

    private static BlockCompleted Done(AssignBlock a, string worker) =>
        new(a.RunId, a.BlockId, a.Attempt, worker, $"/x/{a.BlockId}.npz", 1, new Dictionary<string, long>(), 0.1);

    [Fact]
    public void Empty_blocks_are_skipped_and_every_other_block_is_handed_out_once()
    {
        var stitcher = CreateTestProbe();
        var worker = CreateTestProbe();
        var c = Coordinator(stitcher, isEmpty: b => b.Index % 2 == 1);
        var handed = new List<int>();
        c.Tell(new RequestWork("w"), worker);
        for (int i = 0; i < 3; i++)
        {
            var a = worker.ExpectMsg<AssignBlock>(Wait);
            handed.Add(a.BlockId);
            c.Tell(Done(a, "w"), worker);
            c.Tell(new RequestWork("w"), worker);
        }
        Assert.Equal([0, 2, 4], handed);
        var ready = new List<BlockReady>();
        for (int i = 0; i < 6; i++) ready.Add(stitcher.ExpectMsg<BlockReady>(Wait));
        Assert.Equal(Enumerable.Range(0, 6), ready.Select(r => r.BlockId).Order());
        Assert.All(ready.Where(r => r.BlockId % 2 == 1), r => Assert.Null(r.ResultPath));
        stitcher.ExpectMsg<FinishStitch>(Wait);
        worker.ExpectMsg<NoMoreWork>(Wait);
        c.Tell(new StitchCompleted("r1", NoStitch), stitcher);
        var done = ExpectMsg<RunCompleted>(Wait);
        Assert.True(done.Complete);
        Assert.Equal(3, done.Summary.BlocksEmpty);
        Assert.True(File.Exists(done.SummaryPath));
    }

    [Fact]
    public void Stale_and_duplicate_results_are_dropped()
    {
        var stitcher = CreateTestProbe();
        var w1 = CreateTestProbe();
        var w2 = CreateTestProbe();
        var c = Coordinator(stitcher, isEmpty: b => b.Index != 0);
        c.Tell(new RequestWork("w1"), w1);
        var a = w1.ExpectMsg<AssignBlock>(Wait);
        // w1 reports a failure: the block is retried (after back-off) on the next worker that asks.
        c.Tell(new BlockFailed("r1", a.BlockId, a.Attempt, "w1", "boom", 0), w1);
        c.Tell(new RequestWork("w2"), w2);
        var b = w2.ExpectMsg<AssignBlock>(Wait);
        Assert.Equal((a.BlockId, 2), (b.BlockId, b.Attempt));
        // A late success of the failed attempt 1 must not count.
        c.Tell(Done(a, "w1"), w1);
        c.Tell(Done(b, "w2"), w2);
        c.Tell(Done(b, "w2"), w2); // duplicate
        var readies = new List<BlockReady>();
        object m;
        while ((m = stitcher.ReceiveOne(Wait)!) is not FinishStitch) readies.Add((BlockReady)m);
        Assert.Single(readies, r => r.BlockId == 0);
        Assert.Equal("/x/0.npz", readies.Single(r => r.BlockId == 0).ResultPath);
    }

    [Fact]
    public void A_block_past_its_deadline_is_abandoned_and_requeued()
    {
        var stitcher = CreateTestProbe();
        var slow = CreateTestProbe();
        var fast = CreateTestProbe();
        var c = Coordinator(stitcher, new CoordinatorSettings { BlockDeadline = TimeSpan.FromMilliseconds(200), RetryBackoff = TimeSpan.FromMilliseconds(10) },
            isEmpty: b => b.Index != 0);
        c.Tell(new RequestWork("slow"), slow);
        var a = slow.ExpectMsg<AssignBlock>(Wait);
        c.Tell(new RequestWork("fast"), fast);
        var abandon = slow.ExpectMsg<AbandonBlock>(Wait);
        Assert.Equal((a.BlockId, a.Attempt), (abandon.BlockId, abandon.Attempt));
        var b = fast.ExpectMsg<AssignBlock>(Wait);
        Assert.Equal((0, 2), (b.BlockId, b.Attempt));
        c.Tell(Done(b, "fast"), fast);
        stitcher.FishForMessage(m => m is FinishStitch, Wait);
    }

    [Fact]
    public void A_dead_worker_loses_its_block_to_another()
    {
        var stitcher = CreateTestProbe();
        var doomed = CreateTestProbe();
        var other = CreateTestProbe();
        var c = Coordinator(stitcher, isEmpty: b => b.Index != 3);
        c.Tell(new RequestWork("doomed"), doomed);
        Assert.Equal(3, doomed.ExpectMsg<AssignBlock>(Wait).BlockId);
        c.Tell(new RequestWork("other"), other);
        Sys.Stop(doomed.Ref);
        var b = other.ExpectMsg<AssignBlock>(Wait);
        Assert.Equal((3, 2), (b.BlockId, b.Attempt));
    }

    [Fact]
    public void A_block_that_fails_every_attempt_is_reported_and_the_run_finishes_incomplete()
    {
        var stitcher = CreateTestProbe();
        var w = CreateTestProbe();
        var c = Coordinator(stitcher, new CoordinatorSettings { MaxAttempts = 2, RetryBackoff = TimeSpan.FromMilliseconds(10) });
        c.Tell(new RequestWork("w"), w);
        for (int done = 0; done < 7; done++)
        {
            var a = w.ExpectMsg<AssignBlock>(Wait);
            if (a.BlockId == 1) c.Tell(new BlockFailed("r1", 1, a.Attempt, "w", $"bad data {a.Attempt}", 0), w);
            else c.Tell(Done(a, "w"), w);
            c.Tell(new RequestWork("w"), w);
        }
        stitcher.FishForMessage(m => m is FinishStitch, Wait);
        c.Tell(new StitchCompleted("r1", NoStitch), stitcher);
        var r = ExpectMsg<RunCompleted>(Wait);
        Assert.False(r.Complete);
        Assert.Contains(r.Summary.Blocks[1].Errors, e => e.EndsWith("bad data 2", StringComparison.Ordinal));
        Assert.Equal(1, r.Summary.BlocksFailed);
    }

    [Fact]
    public void Real_workers_retry_a_block_that_throws_twice_and_replace_a_hung_one()
    {
        var labels = new Volume<uint>(new Vec3i(8, 16, 24));
        for (long i = 0; i < labels.Length; i++) labels.Data[i] = (uint)(i / 7 % 5);
        var store = new BlockResultStore(_tmp.Path);
        var stitcher = CreateTestProbe();
        var c = Coordinator(stitcher, new CoordinatorSettings { BlockDeadline = TimeSpan.FromSeconds(2), RetryBackoff = TimeSpan.FromMilliseconds(10) });
        bool Fault(BlockSpec b, int attempt, CancellationToken ct)
        {
            if (b.Index == 2 && attempt <= 2) return true;
            if (b.Index == 4 && attempt == 1)
            {
                ct.WaitHandle.WaitOne(); // hangs until abandoned
                return true;
            }
            return false;
        }
        Sys.ActorOf(WorkerPool.Props(c, (_, _, _) => new GroundTruthBlockProcessor(labels, store, Fault), new WorkerPoolSettings { Workers = 2, ReplaceDelay = TimeSpan.Zero },
            ActorRefs.Nobody));
        var ready = new List<BlockReady>();
        object m;
        while ((m = stitcher.ReceiveOne(TimeSpan.FromSeconds(30))!) is not FinishStitch) ready.Add((BlockReady)m);
        Assert.Equal(Enumerable.Range(0, 6), ready.Select(r => r.BlockId).Order());
        Assert.All(ready, r => Assert.True(store.IsCommitted(_blocks[r.BlockId])));
        c.Tell(new StitchCompleted("r1", NoStitch), stitcher);
        var done = ExpectMsg<RunCompleted>(Wait);
        Assert.True(done.Complete);
        Assert.Equal(3, done.Summary.Blocks[2].Attempts);
        Assert.Equal(2, done.Summary.Blocks[4].Attempts);
        Assert.Contains("deadline", done.Summary.Blocks[4].Errors[0]);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _tmp.Dispose();
    }
}
