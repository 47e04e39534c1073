using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.Inference;

/// <summary>One subvolume to segment: where, with which settings, and where its result goes.</summary>
public sealed record SubvolumeRequest
{
    public required SegmentationSettings Settings { get; init; }
    public required Box3 Box { get; init; }
    public required string OutputDir { get; init; }

    /// <summary>Seeds only inside this box (volume coordinates), e.g. a block without its context margin (null = anywhere).</summary>
    public Box3? SeedRegion { get; init; }

    /// <summary>Result file stem; by default FFN-PyTorch's seg_z_y_x from the subvolume corner.</summary>
    public string? ResultName { get; init; }

    public string Name => ResultName ?? $"seg_{Box.Start.Z}_{Box.Start.Y}_{Box.Start.X}";
}

/// <summary>The outcome of one subvolume: where it was written and what the canvas counted.</summary>
public sealed record SubvolumeResult(string SegmentationPath, int Objects, Counters Counters, bool Resumed, bool NothingToSegment);

/// <summary>
/// Runs the Canvas over one subvolume (google/ffn runner.py's job): read and normalize the image, resume from an
/// <see cref="InferenceCheckpoint"/> if one exists, segment, and write the <see cref="SubvolumeResultFile"/>.
/// </summary>
public static class SubvolumeRunner
{
    public static string ResultPath(SubvolumeRequest r) => Path.Combine(r.OutputDir, r.Name + ".npz");

    /// <param name="seedPolicy">Overrides the settings' seed policy (tests give recorded seed lists).</param>
    /// <param name="inspect">Given the finished canvas, kept with its FoV trace (`ffn bench precision` compares two runs).</param>
    public static SubvolumeResult Run(SubvolumeRequest req, IFovPredictor predictor, Action<string>? progress = null, CancellationToken cancel = default,
        Func<Volume<float>, Vec3i, ISeedPolicy>? seedPolicy = null, Action<Canvas>? inspect = null)
    {
        var settings = req.Settings;
        settings.Validate();
        if (!Directory.Exists(req.OutputDir)) throw new InputException($"{req.OutputDir}: output directory does not exist");
        var image = LoadImage(req, out bool nothing);
        var canvas = new Canvas(image, predictor, settings.Deltas, settings.Options, keepTrace: inspect != null, batchCanvases: settings.BatchCanvases);
        var result = ResultPath(req);
        if (nothing)
        {
            progress?.Invoke($"{req.Name}: nothing to segment (constant image)");
            SubvolumeResultFile.Write(req, canvas, result);
            return new SubvolumeResult(result, 0, canvas.Counters, false, true);
        }

        var seeds = (seedPolicy ?? settings.CreateSeedPolicy)(image, predictor.FovSize / 2);
        if (req.SeedRegion is { } region) seeds = new RegionSeedPolicy(seeds, region.Translate(Vec3i.Zero - req.Box.Start));
        bool resumed = InferenceCheckpoint.TryRestore(req, canvas, seeds);
        var clock = Stopwatch.StartNew();
        var lastSave = Stopwatch.StartNew();
        long total = image.Length;
        if (settings.CheckpointInterval > 0)
        {
            canvas.BetweenObjects = (c, resumeAt) =>
            {
                if (lastSave.Elapsed.TotalSeconds < settings.CheckpointInterval) return;
                InferenceCheckpoint.Save(req, c, seeds, resumeAt);
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
        inspect?.Invoke(canvas);
        SubvolumeResultFile.Write(req, canvas, result);
        AtomicFile.TryDelete(InferenceCheckpoint.PathFor(req));
        return new SubvolumeResult(result, canvas.Origins.Count, canvas.Counters, resumed, false);
    }

    private static Volume<float> LoadImage(SubvolumeRequest req, out bool nothingToSegment)
    {
        var settings = req.Settings;
        using var reader = VolumeStore.OpenRead(settings.Image);
        if (!reader.Info.Box.Contains(req.Box))
            throw new InputException($"{settings.Image}: subvolume {req.Box} (corner z,y,x + size) lies outside the volume {reader.Info.Shape}");
        var raw = reader.Read(req.Box);
        NonFiniteVoxels.Require(settings.Image.ToString(), raw);
        var img = new Volume<float>(raw.Shape, raw.Offset);
        double mean = settings.ImageMean, std = settings.ImageStddev;
        if (settings.AutoNormalize)
        {
            var s = DataPrep.ImageStats.Compute(new InMemoryVolumeReader(settings.Image.ToString(), raw), raw.Shape);
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
}
