using Akka.Actor;
using Ffn.Actors;
using Ffn.Actors.Messages;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Workers;
using Ffn.Model.Inference;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;
using Ffn.Model.Stitching;
using Ffn.Model.Synthetic;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Tests.Support;

namespace Ffn.Tests.Actors;

/// <summary>The whole single-node pipeline (coordinator, workers, stitcher, assembler, HDF5/TIFF output) with a
/// ground-truth block processor, so outputs can be compared byte for byte between runs.</summary>
public class LocalRunTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly SynthVolume _synth = SynthGenerator.Generate(new SynthOptions { Shape = new Vec3i(24, 64, 80), Seed = 5, EmptySlab = true });

    /// <summary>A run as LocalRun takes it, with the ground truth as the "network" and the synthetic image's emptiness.</summary>
    private sealed record TestRun(RunSpec Spec, BlockProcessorFactory Processors, WorkerPoolSettings Workers, Func<BlockSpec, bool> IsEmpty)
    {
        public IReadOnlyList<BlockSpec> Blocks => Spec.Plan.Blocks;
        public BlockResultStore Store => Spec.Plan.Store;
    }

    private TestRun Request(string dir, Func<BlockSpec, int, CancellationToken, bool>? fault = null, int workers = 2, MergeMode merge = MergeMode.Faces,
        Vec3i? overlap = null)
    {
        var plan = new RunPlan
        {
            RunId = "t",
            RunDir = dir,
            Segmentation = new SegmentationSettings { Image = VolumeSpec.Parse("synthetic.h5:raw"), ModelPath = "ground truth", Deltas = Vec3i.One },
            VolumeShape = _synth.Labels.Shape,
            BlockShape = new Vec3i(6, 32, 32),
            Overlap = overlap ?? Vec3i.Zero,
            Context = new Vec3i(2, 4, 4),
            Fov = new Vec3i(5, 5, 5),
            Merge = new MergeOptions(merge, 3, 20, 0.3),
            Outputs = new RunOutputs(Zarr: false), // the EM is in memory here; OME-Zarr output has its own tests
        };
        var store = plan.Store;
        Directory.CreateDirectory(store.BlocksDir);
        var raw = _synth.Raw;
        return new TestRun(
            new RunSpec(plan, new CoordinatorSettings { RetryBackoff = TimeSpan.FromMilliseconds(5), ProgressInterval = TimeSpan.Zero }),
            (_, _, _) => new GroundTruthBlockProcessor(_synth.Labels, store, fault),
            new WorkerPoolSettings { Workers = workers, ReplaceDelay = TimeSpan.Zero },
            b => EmptyBlockCheck.AllZero(new InMemoryVolumeReader("raw", raw), b.LabelBox));
    }

    private static async Task<IFfnMessage> Run(TestRun r, CancellationToken cancel = default)
    {
        using var sys = ActorSystem.Create("t", "akka.loglevel = ERROR");
        try { return await LocalRun.RunAsync(sys, r.Spec, r.Processors, r.Workers, _ => { }, cancel, r.IsEmpty); }
        finally { await sys.Terminate(); }
    }

    /// <summary>The HDF5 output's bytes, after checking the TIFF holds the same.</summary>
    private static byte[] Outputs(string dir)
    {
        using var h5 = Hdf5VolumeReader.Open(Path.Combine(dir, "final_result.h5"), "segmentation");
        var a = h5.Read(Box3.FromShape(h5.Info.Shape));
        using var tif = VolumeStore.OpenRead(Path.Combine(dir, "final_result.tif"));
        var b = tif.Read(Box3.FromShape(tif.Info.Shape));
        Assert.Equal(DType.UInt32, a.DType);
        Assert.True(a.ContentEquals(b), "the HDF5 and TIFF outputs differ");
        return a.Bytes.ToArray();
    }

    [Fact]
    public async Task Each_worker_runs_on_its_own_device_and_the_summary_names_the_device_of_each_block()
    {
        var dir = Path.Combine(_tmp.Path, "devices");
        var req = Request(dir, workers: 4);
        var made = new System.Collections.Concurrent.ConcurrentBag<string>();
        var store = req.Store;
        req = req with
        {
            // The processor a worker makes is told the worker's device; the ground truth stands in for the network.
            Processors = (_, _, device) =>
            {
                made.Add(device);
                return new GroundTruthBlockProcessor(_synth.Labels, store, null);
            },
            Workers = req.Workers with { Devices = ["dev-a", "dev-b"] },
        };
        var done = Assert.IsType<RunCompleted>(await Run(req));
        Assert.True(done.Complete);
        // Four workers over two devices: at most two processors (model copies, one per worker that got a block) per device.
        Assert.Equal(["dev-a", "dev-b"], made.Distinct().Order().ToArray());
        Assert.All(made.GroupBy(d => d), g => Assert.InRange(g.Count(), 1, 2));
        var ran = done.Summary.Blocks.Where(b => b.State == "done").ToList();
        Assert.NotEmpty(ran);
        Assert.All(ran, b => Assert.Contains(b.Device, new[] { "dev-a", "dev-b" }));
        Assert.All(done.Summary.Blocks.Where(b => b.State == "empty"), b => Assert.Null(b.Device));
        // summary.json keeps it.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(done.SummaryPath))!;
        Assert.Equal(ran.Count, json["blocks"]!.AsArray().Count(b => (string?)b!["device"] is "dev-a" or "dev-b"));
    }

    [Fact]
    public void Worker_slots_take_the_devices_in_turn()
    {
        var s = new WorkerPoolSettings { Workers = 5, Devices = ["cuda:0", "cuda:1"] };
        Assert.Equal(["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"], Enumerable.Range(0, 5).Select(s.DeviceOf).ToArray());
        Assert.Equal("cpu", new WorkerPoolSettings().DeviceOf(3));
    }

    [Fact]
    public async Task Empty_blocks_are_skipped_and_ids_are_unique_per_block_without_merging()
    {
        var dir = Path.Combine(_tmp.Path, "clean");
        var req = Request(dir, merge: MergeMode.None);
        var done = Assert.IsType<RunCompleted>(await Run(req));
        Assert.True(done.Complete);
        Assert.True(done.Summary.BlocksEmpty >= 2, "the synthetic empty slab should make whole blocks empty");
        var h5 = Outputs(dir);
        var seg = new Volume<uint>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(h5).ToArray(), _synth.Labels.Shape);
        // Without merging every (block, ground-truth object) pair is its own id, and an id lives in one block only.
        var pairs = new HashSet<(int, uint)>();
        var blockOf = new Dictionary<uint, int>();
        foreach (var b in req.Blocks)
        for (int z = b.Core.Start.Z; z < b.Core.End.Z; z++)
        for (int y = b.Core.Start.Y; y < b.Core.End.Y; y++)
        for (int x = b.Core.Start.X; x < b.Core.End.X; x++)
        {
            uint s = seg[z, y, x], g = _synth.Labels[z, y, x];
            Assert.Equal(g == 0, s == 0);
            if (s == 0) continue;
            pairs.Add((b.Index, g));
            Assert.Equal(b.Index, blockOf.TryGetValue(s, out var known) ? known : blockOf[s] = b.Index);
        }
        Assert.Equal(pairs.Count, blockOf.Count);
    }

    [Fact]
    public async Task Faults_on_early_attempts_do_not_change_the_output()
    {
        var clean = Path.Combine(_tmp.Path, "clean");
        Assert.IsType<RunCompleted>(await Run(Request(clean)));
        var faulty = Path.Combine(_tmp.Path, "faulty");
        var r = Assert.IsType<RunCompleted>(await Run(Request(faulty, (b, attempt, _) => b.Index % 3 == 0 && attempt <= 2)));
        Assert.True(r.Complete);
        Assert.Contains(r.Summary.Blocks.SelectMany(b => b.Errors), e => e.Contains("injected fault"));
        Assert.Equal(Outputs(clean), Outputs(faulty));
    }

    [Fact]
    public async Task A_run_stopped_midway_and_restarted_gives_identical_datasets()
    {
        var clean = Path.Combine(_tmp.Path, "clean");
        Assert.IsType<RunCompleted>(await Run(Request(clean, workers: 1)));

        var dir = Path.Combine(_tmp.Path, "restarted");
        using var stop = new CancellationTokenSource();
        int processed = 0;
        // The fourth block to start cancels the run: the process "dies" with three blocks committed.
        var first = Request(dir, (b, attempt, ct) =>
        {
            if (Interlocked.Increment(ref processed) == 4)
            {
                stop.Cancel();
                ct.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                return true; // a killed process writes nothing more
            }
            return false;
        }, workers: 1);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(first, stop.Token));
        Assert.False(File.Exists(Path.Combine(dir, "final_result.h5")));
        int committed = first.Blocks.Count(b => first.Store.IsCommitted(b));
        Assert.Equal(3, committed);

        var second = Assert.IsType<RunCompleted>(await Run(Request(dir, workers: 2)));
        Assert.Equal(committed, second.Summary.BlocksReused);
        Assert.Equal(Outputs(clean), Outputs(dir));
    }

    [Fact]
    public async Task Overlap_merge_runs_through_the_pipeline_and_keeps_ground_truth_objects_apart()
    {
        var dir = Path.Combine(_tmp.Path, "overlap");
        var done = Assert.IsType<RunCompleted>(await Run(Request(dir, merge: MergeMode.Overlap, overlap: new Vec3i(2, 8, 8))));
        Assert.True(done.Complete);
        var h5 = Outputs(dir);
        var seg = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(h5).ToArray();
        var gtOf = new Dictionary<uint, uint>();
        for (long i = 0; i < seg.Length; i++)
        {
            if (seg[i] == 0) continue;
            if (gtOf.TryGetValue(seg[i], out var g)) Assert.Equal(g, _synth.Labels.Data[i]);
            else gtOf[seg[i]] = _synth.Labels.Data[i];
        }
        // Perfect blocks that overlap match every object across every boundary: one id per ground-truth object
        // (objects split into pieces inside one block by the crop are the exception, so allow a few).
        int gtObjects = _synth.Labels.Data.Where(v => v != 0).Distinct().Count();
        Assert.InRange(gtOf.Count, gtObjects, gtObjects + gtObjects / 10);
    }

    [Fact]
    public async Task A_cancelled_run_returns_only_after_running_blocks_let_go_and_their_models_are_disposed_on_their_threads()
    {
        using var stop = new CancellationTokenSource();
        var made = new System.Collections.Concurrent.ConcurrentBag<UninterruptibleProcessor>();
        var req = Request(Path.Combine(_tmp.Path, "cancelled")) with
        {
            Processors = (_, _, _) =>
            {
                var p = new UninterruptibleProcessor(stop);
                made.Add(p);
                return p;
            },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(req, stop.Token));
        // What the process would do next is exit, and exit() tears down libtorch: no block may still be inside it.
        Assert.NotEmpty(made);
        Assert.All(made, p =>
        {
            Assert.False(p.Inside, "a block was still inside its long call when the run returned");
            Assert.True(p.DisposedAfterItsLastCall, "the block's model was not disposed after its last call, on that call's thread");
        });
    }

    /// <summary>Like a forward pass, a call that cannot be interrupted: it cancels the run, then keeps its thread a while.</summary>
    private sealed class UninterruptibleProcessor(CancellationTokenSource stopRun) : IBlockProcessor
    {
        private volatile bool _inside;
        private volatile bool _disposedAfterLastCall;
        private int _lastThread;

        public bool Inside => _inside;
        public bool DisposedAfterItsLastCall => _disposedAfterLastCall;

        public BlockOutcome Process(BlockSpec block, CancellationToken cancel)
        {
            _inside = true;
            _lastThread = Environment.CurrentManagedThreadId;
            stopRun.Cancel();
            Thread.Sleep(1500);
            _inside = false;
            cancel.ThrowIfCancellationRequested();
            throw new InvalidOperationException("the run should have been cancelled");
        }

        public void Dispose() => _disposedAfterLastCall = !_inside && Environment.CurrentManagedThreadId == _lastThread;
    }

    public void Dispose() => _tmp.Dispose();
}
