using System.Diagnostics;
using Ffn.Model.Blocks;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Blocks;

public class RunDirectoryLockTests
{
    [Fact]
    public void One_holder_at_a_time_even_in_one_process_and_the_one_turned_away_learns_who()
    {
        using var tmp = new TempDir();
        using (var first = RunDirectoryLock.TryAcquire(tmp.Path, out var busy))
        {
            Assert.NotNull(first);
            Assert.Null(busy);
            Assert.Null(RunDirectoryLock.TryAcquire(tmp.Path, out busy));
            Assert.Equal($"in use by another ffn run (pid {Environment.ProcessId} on {Environment.MachineName})", busy);
        }
        using var again = RunDirectoryLock.TryAcquire(tmp.Path, out _);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task The_lock_is_the_kernels_flock_so_another_process_holding_it_refuses_and_its_death_releases_it()
    {
        using var tmp = new TempDir();
        // util-linux flock(1) takes flock(2) on the file in another process, then says so and sleeps; --no-fork keeps
        // that one process the only holder (a forked child would hold the lock a moment after its parent died).
        var psi = new ProcessStartInfo("flock", ["--exclusive", "--nonblock", "--no-fork", Path.Combine(tmp.Path, RunDirectoryLock.FileName),
            "sh", "-c", "echo locked; exec sleep 60"])
        {
            RedirectStandardOutput = true,
        };
        using var holder = Process.Start(psi)!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Null(RunDirectoryLock.TryAcquire(tmp.Path, out var busy));
            Assert.Equal("in use by another ffn run", busy); // flock(1) wrote no owner file

            holder.Kill(entireProcessTree: true); // SIGKILL: nothing of the holder runs again, the kernel drops its lock
            Assert.True(holder.WaitForExit(30_000));
            using var taken = RunDirectoryLock.TryAcquire(tmp.Path, out busy);
            Assert.NotNull(taken);
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Taking_the_lock_deletes_the_temporaries_of_writers_that_died_and_nothing_else()
    {
        using var tmp = new TempDir();
        var blocks = Directory.CreateDirectory(Path.Combine(tmp.Path, "blocks")).FullName;
        string[] stale =
        [
            AtomicFile.TempPathFor(Path.Combine(tmp.Path, "final_result.h5")),
            AtomicFile.TempPathFor(Path.Combine(tmp.Path, "summary.json")),
            AtomicFile.TempPathFor(Path.Combine(blocks, "seg_0_0_0.npz")),
            Path.Combine(tmp.Path, "final_result.tif.tmp-" + Guid.NewGuid().ToString("N")), // the volume writers' old names
        ];
        string[] kept =
        [
            Path.Combine(tmp.Path, "final_result.h5"),
            Path.Combine(tmp.Path, "notes.tmp-draft"),
            Path.Combine(blocks, "seg_0_0_0.npz"),
            Path.Combine(blocks, "seg_0_0_0.ckpt.npz"),
        ];
        foreach (var f in stale.Concat(kept)) File.WriteAllText(f, "x");
        Directory.CreateDirectory(Path.Combine(tmp.Path, "deeper"));
        var below = AtomicFile.TempPathFor(Path.Combine(tmp.Path, "deeper", "x.h5")); // not a run directory's
        File.WriteAllText(below, "x");

        using var taken = RunDirectoryLock.TryAcquire(tmp.Path, out _)!;
        Assert.Equal(stale.Order(), taken.RemovedTemporaries.Order());
        Assert.All(stale, f => Assert.False(File.Exists(f), f));
        Assert.All(kept.Append(below), f => Assert.True(File.Exists(f), f));
    }
}
