using System.Globalization;
using Ffn.Actors.Coordinator;
using Ffn.Actors.Workers;
using Ffn.Host.Config;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Inference;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Stitching;
using Ffn.Model.Synthetic;
using Ffn.Model.Training;

namespace Ffn.Tests.Host;

/// <summary>
/// hocon/ffn.conf holds the default of every flag; the Model records have defaults of their own (for code and tests
/// that build them directly). They must say the same thing, or a setting's meaning depends on how it was reached.
/// </summary>
public class DefaultsAgreeWithHoconTests
{
    private readonly FfnConfig _config = FfnConfig.Load(null);
    private readonly List<string> _differ = [];

    private void Same(string key, object model)
    {
        string hocon = model switch
        {
            Vec3i => _config.Get<string>(key),
            double => _config.Get<double>(key).ToString("R", CultureInfo.InvariantCulture),
            _ => _config.Get<string>(key),
        };
        string ours = model switch
        {
            Vec3i v => v.ToString(),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => model.ToString()!,
        };
        if (model is Vec3i) hocon = Vec3i.Parse(hocon).ToString();
        if (!string.Equals(hocon, ours, StringComparison.OrdinalIgnoreCase)) _differ.Add($"{key}: hocon {hocon}, model {ours}");
    }

    [Fact]
    public void Every_model_default_equals_its_hocon_key()
    {
        var t = new TrainingOptions();
        foreach (var (key, value) in new (string, object)[]
        {
            ("batch-size", t.BatchSize), ("max-steps", t.MaxSteps), ("fov-size", t.FovSize), ("deltas", t.Deltas), ("threshold", t.MoveThreshold),
            ("seed-pad", t.SeedPad), ("seed-init", t.SeedInit), ("label-softness", t.LabelSoftness), ("image-mean", t.ImageMean),
            ("image-stddev", t.ImageStddev), ("optimizer", t.Optimizer.ToString()), ("learning-rate", t.LearningRate), ("momentum", t.Momentum),
            ("adam-beta1", t.AdamBeta1), ("adam-beta2", t.AdamBeta2), ("adam-epsilon", t.AdamEpsilon), ("lr-decay-factor", t.LearningRateDecayFactor),
            ("lr-decay-steps", t.LearningRateDecaySteps), ("grad-clip", t.GradientClip), ("flip", t.Flip), ("jitter-scale", t.JitterScale),
            ("jitter-shift", t.JitterShift), ("shuffle-moves", t.ShuffleMoves), ("seed", t.Seed), ("checkpoint-every-steps", t.CheckpointEverySteps),
            ("checkpoint-every-minutes", t.CheckpointEveryMinutes), ("log-every", t.LogEvery), ("image-summary-every", t.ImageSummaryEvery),
            ("prefetch-batches", t.PrefetchBatches),
        })
            Same("ffn.train." + key, value);
        var permuted = string.Join(",", new[] { ("z", t.PermuteZ), ("y", t.PermuteY), ("x", t.PermuteX) }.Where(a => a.Item2).Select(a => a.Item1));
        Same("ffn.train.permute-axes", permuted);

        var net = new ModelConfig();
        Same("ffn.train.depth", net.Depth);
        Same("ffn.train.features", net.Features);
        Same("ffn.model.fov-size", net.FovSize);
        Same("ffn.model.deltas", net.Deltas);
        Same("ffn.model.image-mean", net.ImageMean);
        Same("ffn.model.image-stddev", net.ImageStddev);

        var inf = new InferenceOptions();
        Same("ffn.infer.min-seg-size", inf.MinSegmentSize);
        Same("ffn.infer.min-bound-dist", inf.MinBoundaryDist.Reversed()); // x,y,z in the flag
        Same("ffn.infer.disco-seed-threshold", inf.DiscoSeedThreshold);
        Same("ffn.infer.diff-threshold", inf.DiffThreshold);
        Same("ffn.infer.keep-prob", inf.KeepProbabilityMap);
        var seg = new SegmentationSettings { Image = Ffn.Model.Volumes.VolumeSpec.Parse("x.h5:raw"), ModelPath = "m", Deltas = Vec3i.One };
        Same("ffn.infer.seed-policy", seg.SeedPolicy);
        Same("ffn.infer.voxel-size", seg.VoxelSize);
        // auto: on CPU it is the settings' default, google/ffn's batch of 1 (on CUDA it is timed).
        Same("ffn.infer.batch-canvases", "auto");
        Assert.Equal(seg.BatchCanvases, Ffn.Host.Cli.AutoBatch.Resolve("auto", "--batch-canvases", "m", "cpu", null));
        Same("ffn.infer.ckp-interval", seg.CheckpointInterval);
        Same("ffn.infer.auto-normalize", seg.AutoNormalize);
        Same("ffn.run.seed-in-context", seg.SeedInContext);

        var p = new PartitionOptions();
        Same("ffn.partition.thresholds", string.Join(",", p.Thresholds.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        Same("ffn.partition.lom-radius", p.LomRadius.Reversed()); // x,y,z in the flag
        Same("ffn.partition.min-size", p.MinSize);

        var s = new SynthOptions();
        Same("ffn.synth.shape", s.Shape);
        Same("ffn.synth.seed", s.Seed);
        Same("ffn.synth.noise", s.Noise);
        Same("ffn.synth.blur", s.Blur);
        Same("ffn.synth.min-tube-radius", s.MinTubeRadius);
        Same("ffn.synth.max-tube-radius", s.MaxTubeRadius);
        Same("ffn.synth.empty-slab", s.EmptySlab);

        var m = new MergeOptions(MergeMode.None);
        Same("ffn.run.min-consecutive-pixels", m.MinConsecutiveVoxels);
        Same("ffn.run.min-overlap-voxels", m.MinOverlapVoxels);
        Same("ffn.run.min-iou", m.MinIou);

        var c = new CoordinatorSettings();
        Same("ffn.run.max-attempts", c.MaxAttempts);
        Same("ffn.run.retry-backoff", c.RetryBackoff.TotalSeconds);
        Same("ffn.run.retry-backoff-max", c.RetryBackoffMax.TotalSeconds);
        Same("ffn.run.block-deadline", c.BlockDeadline.TotalSeconds);
        Same("ffn.run.progress-interval", c.ProgressInterval.TotalSeconds);
        Same("ffn.run.stitch-slab-mib", c.StitchSlabBytes / 1048576);

        var w = new WorkerPoolSettings();
        foreach (var section in new[] { "run", "node" })
        {
            Same($"ffn.{section}.workers", w.Workers);
            Same($"ffn.{section}.worker-replace-delay", w.ReplaceDelay.TotalSeconds);
            Same($"ffn.{section}.max-restarts", w.MaxRestarts);
            Same($"ffn.{section}.restart-window", w.RestartWindow.TotalSeconds);
            Same($"ffn.{section}.stop-timeout", w.StopTimeout.TotalSeconds);
            Same($"ffn.{section}.drain-timeout", w.DrainTimeout.TotalSeconds);
        }

        var mesh = new Ffn.Model.Meshing.MeshOptions();
        Same("ffn.mesh.level", mesh.Level);
        Same("ffn.mesh.smooth", mesh.Smooth);
        Same("ffn.mesh.block-size", mesh.BlockSize);
        Same("ffn.mesh.threads", mesh.Parallelism);

        var k = new KernelGuardOptions();
        Same("ffn.torch.self-check", k.Mode.ToString());
        Same("ffn.torch.cpu-kernels", k.Requested);

        Assert.True(_differ.Count == 0, "defaults differ:\n" + string.Join("\n", _differ));
    }
}
