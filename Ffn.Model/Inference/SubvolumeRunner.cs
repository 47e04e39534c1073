using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.Inference;

/// <summary>What to segment and how: one subvolume of an image with one network's settings.</summary>
public sealed record SubvolumeRequest
{
    public required VolumeSpec Image { get; init; }
    public required Box3 Box { get; init; }
    public required string OutputDir { get; init; }
    public double ImageMean { get; init; } = 128;
    public double ImageStddev { get; init; } = 33;

    /// <summary>Use the subvolume's own int(mean), int(std), as the seed's volume_inference.py does per block.</summary>
    public bool AutoNormalize { get; init; }

    public InferenceOptions Options { get; init; } = new();
    public required Vec3i Deltas { get; init; }
    public string SeedPolicy { get; init; } = "PolicyPeaks";

    /// <summary>Seconds between inference checkpoints (0 = none).</summary>
    public double CheckpointInterval { get; init; }

    /// <summary>Objects grown at once, their FoVs batched into one network call (1 = Google's order exactly).</summary>
    public int BatchCanvases { get; init; } = 1;

    /// <summary>Seeds only inside this box (volume coordinates), e.g. a block without its context margin (null = anywhere).</summary>
    public Box3? SeedRegion { get; init; }

    /// <summary>Result file stem; by default the seed's seg_z_y_x from the subvolume corner.</summary>
    public string? ResultName { get; init; }

    public string Name => ResultName ?? $"seg_{Box.Start.Z}_{Box.Start.Y}_{Box.Start.X}";
}

/// <summary>The outcome of one subvolume: where it was written and what the canvas counted.</summary>
public sealed record SubvolumeResult(string SegmentationPath, int Objects, Counters Counters, bool Resumed, bool NothingToSegment);

/// <summary>
/// Runs the Canvas over one subvolume (google/ffn runner.py's job): read and normalize the image, resume from an
/// inference checkpoint if one exists, segment, and write seg_z_y_x.npz (key 'segmentation', markers removed,
/// plus 'origins' and 'prob' when kept) with the counters and settings as seg_z_y_x.json — all atomically.
/// </summary>
public static class SubvolumeRunner
{
    public static string CheckpointPath(SubvolumeRequest r) => Path.Combine(r.OutputDir, r.Name + ".ckpt.npz");
    public static string ResultPath(SubvolumeRequest r) => Path.Combine(r.OutputDir, r.Name + ".npz");

    public static SubvolumeResult Run(SubvolumeRequest req, IFovPredictor predictor, Func<Volume<float>, Vec3i, ISeedPolicy> seedPolicy,
        Action<string>? progress = null, CancellationToken cancel = default)
    {
        req.Options.Validate();
        if (!req.AutoNormalize) DataPrep.ImageNormalization.Validate(req.ImageMean, req.ImageStddev);
        if (!Directory.Exists(req.OutputDir)) throw new InputException($"{req.OutputDir}: output directory does not exist");
        var image = LoadImage(req, out bool nothing);
        var canvas = new Canvas(image, predictor, req.Deltas, req.Options, batchCanvases: req.BatchCanvases);
        var result = ResultPath(req);
        if (nothing)
        {
            progress?.Invoke($"{req.Name}: nothing to segment (constant image)");
            Save(req, canvas, result);
            return new SubvolumeResult(result, 0, canvas.Counters, false, true);
        }

        var seeds = seedPolicy(image, predictor.FovSize / 2);
        if (req.SeedRegion is { } region) seeds = new RegionSeedPolicy(seeds, region.Translate(Vec3i.Zero - req.Box.Start));
        bool resumed = TryRestore(req, canvas, seeds);
        var clock = Stopwatch.StartNew();
        var lastSave = Stopwatch.StartNew();
        long total = image.Length;
        if (req.CheckpointInterval > 0)
        {
            canvas.BetweenObjects = (c, resumeAt) =>
            {
                if (lastSave.Elapsed.TotalSeconds < req.CheckpointInterval) return;
                SaveCheckpoint(req, c, seeds, resumeAt);
                lastSave.Restart();
            };
        }
        if (progress != null)
        {
            var lastReport = Stopwatch.StartNew();
            canvas.AfterStep = c =>
            {
                if (lastReport.Elapsed.TotalSeconds < 5) return;
                lastReport.Restart();
                double done = seeds.Candidates.Count == 0 ? 0 : (double)seeds.Position / seeds.Candidates.Count;
                double evals = c.Counters[Counters.NetworkEvaluations];
                double rate = evals / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                string eta = done > 0.01 ? $"{clock.Elapsed.TotalSeconds * (1 - done) / done:F0} s" : "?";
                progress($"{req.Name}: {c.Origins.Count} objects, {100.0 * c.Counters[Counters.VoxelsSegmented] / total:F1}% voxels, " +
                    $"seeds {seeds.Position}/{seeds.Candidates.Count}, {rate:F2} evaluations/s, ETA {eta}");
            };
        }
        canvas.SegmentAll(seeds, cancel);
        Save(req, canvas, result);
        AtomicFile.TryDelete(CheckpointPath(req));
        return new SubvolumeResult(result, canvas.Origins.Count, canvas.Counters, resumed, false);
    }

    private static Volume<float> LoadImage(SubvolumeRequest req, out bool nothingToSegment)
    {
        using var reader = VolumeStore.OpenRead(req.Image);
        if (!reader.Info.Box.Contains(req.Box))
            throw new InputException($"{req.Image}: subvolume {req.Box} (corner z,y,x + size) lies outside the volume {reader.Info.Shape}");
        var raw = reader.Read(req.Box);
        NonFiniteVoxels.Require(req.Image.ToString(), raw);
        var img = new Volume<float>(raw.Shape, raw.Offset);
        double mean = req.ImageMean, std = req.ImageStddev;
        if (req.AutoNormalize)
        {
            var s = DataPrep.ImageStats.Compute(new InMemoryVolumeReader(req.Image.ToString(), raw), raw.Shape);
            mean = Math.Floor(s.Mean);
            std = Math.Floor(s.StdDev);
        }
        float fm = (float)mean, fs = (float)std;
        bool allSame = true;
        double first = raw.GetDouble(0);
        for (long i = 0; i < raw.Length; i++)
        {
            double v = raw.GetDouble(i);
            if (v != first) allSame = false;
            img.Data[i] = ((float)v - fm) / fs; // float32 arithmetic, as NumPy on a float32 image
        }
        // Per-block normalization of a nearly constant block floors its stddev to 0.
        nothingToSegment = allSame || !(fs > 0);
        return img;
    }

    private static void Save(SubvolumeRequest req, Canvas canvas, string path)
    {
        var seg = canvas.Segmentation;
        long max = 0;
        foreach (var v in seg.Data) max = Math.Max(max, v);
        var arrays = new Dictionary<string, NdArray>();
        if (max <= uint.MaxValue)
        {
            var u = new uint[seg.Length];
            for (long i = 0; i < u.LongLength; i++) u[i] = (uint)Math.Max(seg.Data[i], 0);
            arrays["segmentation"] = NdArray.Create(u, seg.Shape.Z, seg.Shape.Y, seg.Shape.X);
        }
        else
        {
            var u = new ulong[seg.Length];
            for (long i = 0; i < u.LongLength; i++) u[i] = (ulong)Math.Max(seg.Data[i], 0);
            arrays["segmentation"] = NdArray.Create(u, seg.Shape.Z, seg.Shape.Y, seg.Shape.X);
        }
        var origins = canvas.Origins.OrderBy(kv => kv.Key).SelectMany(kv =>
            new long[] { kv.Key, kv.Value.Seed.Z, kv.Value.Seed.Y, kv.Value.Seed.X, kv.Value.NetworkEvaluations, kv.Value.Voxels }).ToArray();
        arrays["origins"] = NdArray.Create(origins, origins.Length / 6, 6);
        if (canvas.Probability is { } prob) arrays["prob"] = NdArray.FromVolume(prob);
        NpzFile.Write(path, arrays);
        var info = new
        {
            image = req.Image.ToString(),
            corner_zyx = req.Box.Start.ToArray(),
            size_zyx = req.Box.Size.ToArray(),
            image_mean = req.ImageMean,
            image_stddev = req.ImageStddev,
            auto_normalize = req.AutoNormalize,
            options = req.Options,
            deltas_zyx = req.Deltas.ToArray(),
            seed_policy = req.SeedPolicy,
            seed_region_start_zyx = req.SeedRegion?.Start.ToArray(),
            seed_region_size_zyx = req.SeedRegion?.Size.ToArray(),
            batch_canvases = req.BatchCanvases,
            objects = canvas.Origins.Count,
            counters = canvas.Counters.Values,
        };
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Between objects the state is the segmentation, the attempts, the counters and the seed list position.</summary>
    private static void SaveCheckpoint(SubvolumeRequest req, Canvas canvas, ISeedPolicy seeds, int resumeAt)
    {
        var attempts = canvas.Attempts.SelectMany(a => new long[] { a.Seed.Z, a.Seed.Y, a.Seed.X, a.Outcome, a.Voxels, a.NetworkEvaluations }).ToArray();
        // Seeds from resumeAt on have been read (and counted) already: resume by proposing them again.
        var saved = Counters.FromJson(canvas.Counters.ToJson());
        saved.Increment(Counters.SeedsProposed, resumeAt - seeds.Position);
        var counters = Encoding.UTF8.GetBytes(saved.ToJson());
        var arrays = new Dictionary<string, NdArray>
        {
            ["segmentation"] = NdArray.FromVolume(canvas.Segmentation),
            ["attempts"] = NdArray.Create(attempts, attempts.Length / 6, 6),
            ["seed_position"] = NdArray.Create(new long[] { resumeAt, seeds.Candidates.Count }, 2),
            ["counters_json"] = NdArray.Create(counters, counters.Length),
        };
        if (canvas.Probability is { } prob) arrays["prob"] = NdArray.FromVolume(prob);
        NpzFile.Write(CheckpointPath(req), arrays);
    }

    private static bool TryRestore(SubvolumeRequest req, Canvas canvas, ISeedPolicy seeds)
    {
        var path = CheckpointPath(req);
        if (!File.Exists(path)) return false;
        var a = NpzFile.ReadAll(path);
        var seg = a["segmentation"].ToVolume(path).As<int>();
        if (seg.Shape != canvas.Shape) throw new InputException($"{path}: checkpoint of shape {seg.Shape} does not match the subvolume {canvas.Shape}; delete it");
        var att = a["attempts"].Get<long>();
        var attempts = Enumerable.Range(0, att.Length / 6).Select(i => new SeedAttempt(
            new Vec3i((int)att[6 * i], (int)att[6 * i + 1], (int)att[6 * i + 2]), (int)att[6 * i + 3], att[6 * i + 4], (int)att[6 * i + 5]));
        var counters = Counters.FromJson(Encoding.UTF8.GetString(a["counters_json"].Get<byte>()));
        var pos = a["seed_position"].Get<long>();
        if (pos[1] != seeds.Candidates.Count)
            throw new InputException($"{path}: checkpoint was made with {pos[1]} seed candidates, now {seeds.Candidates.Count}; delete it");
        canvas.Restore(seg, counters, attempts, a.TryGetValue("prob", out var prob) ? prob.ToVolume(path).As<byte>() : null);
        seeds.Position = (int)pos[0];
        return true;
    }
}
