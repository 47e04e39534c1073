using Ffn.Model.Blocks;
using Ffn.Model.Geometry;

namespace Ffn.Tests.Model.Blocks;

public class BlockSchedulerTests
{
    private static BlockScheduler Make(int n, int maxAttempts = 3)
    {
        var blocks = BlockGrid.Tile(new Vec3i(10, 10, 10 * n), new Vec3i(10, 10, 10), Vec3i.Zero, Vec3i.Zero, Vec3i.One);
        return new BlockScheduler(blocks, maxAttempts, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Blocks_go_out_in_index_order_once_checked_and_empty_ones_never()
    {
        var s = Make(4);
        Assert.Null(s.Acquire("w1"));
        s.MarkChecked(2, empty: false);
        s.MarkChecked(0, empty: true);
        s.MarkChecked(1, empty: false);
        Assert.Equal(1, s.Acquire("w1")!.Spec.Index);
        Assert.Equal(2, s.Acquire("w2")!.Spec.Index);
        Assert.Null(s.Acquire("w3"));
        Assert.Equal(BlockState.Empty, s.Blocks[0].State);
        Assert.False(s.IsFinished);
        s.MarkReused(3, "x.npz", null);
        s.Complete(1, 1, "w1", "a.npz", 1.0, null);
        s.Complete(2, 1, "w2", "b.npz", 1.0, null);
        Assert.True(s.IsFinished);
        Assert.Equal(2, s.CountIn(BlockState.Done));
    }

    [Fact]
    public void Only_the_holder_of_the_current_attempt_may_return_it()
    {
        var s = Make(1);
        s.MarkChecked(0, false);
        var a = s.Acquire("w1")!;
        Assert.False(s.IsExpected(0, a.Attempt, "w2"));
        Assert.False(s.IsExpected(0, a.Attempt + 1, "w1"));
        Assert.True(s.IsExpected(0, a.Attempt, "w1"));
        Assert.Equal(TimeSpan.FromSeconds(1), s.Fail(0, 1, "w1", "boom"));
        // The late duplicate of attempt 1 is no longer expected.
        Assert.False(s.IsExpected(0, 1, "w1"));
        Assert.Throws<InvalidOperationException>(() => s.Complete(0, 1, "w1", "late.npz", 0, null));
        Assert.Null(s.Acquire("w2")); // still backing off
        s.RetryReady(0);
        var b = s.Acquire("w2")!;
        Assert.Equal(2, b.Attempt);
        s.Complete(0, 2, "w2", "ok.npz", 2, null);
        Assert.Equal(BlockState.Done, s.Blocks[0].State);
        Assert.Equal("ok.npz", s.Blocks[0].ResultPath);
        Assert.Single(s.Blocks[0].Errors);
    }

    [Fact]
    public void Backoff_doubles_up_to_the_cap_and_the_last_attempt_fails_for_good()
    {
        var s = Make(1, maxAttempts: 4);
        s.MarkChecked(0, false);
        var delays = new List<TimeSpan?>();
        for (int i = 1; i <= 4; i++)
        {
            var a = s.Acquire("w")!;
            Assert.Equal(i, a.Attempt);
            delays.Add(s.Fail(0, i, "w", $"error {i}"));
            s.RetryReady(0);
        }
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), null], delays);
        Assert.Equal(BlockState.Failed, s.Blocks[0].State);
        Assert.Equal(4, s.Blocks[0].Errors.Count);
        Assert.True(s.IsFinished);
        Assert.Null(s.Acquire("w"));
    }

    [Fact]
    public void In_flight_blocks_are_listed_per_worker()
    {
        var s = Make(3);
        for (int i = 0; i < 3; i++) s.MarkChecked(i, false);
        s.Acquire("a");
        s.Acquire("b");
        s.Acquire("a");
        Assert.Equal([0, 2], s.InFlightFor("a").Select(x => x.Spec.Index));
        Assert.Equal(3, s.InFlight);
    }
}
