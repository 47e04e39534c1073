using Ffn.Model.Geometry;

namespace Ffn.Model.Training;

/// <summary>Which update rule <see cref="Trainer"/> applies.</summary>
public enum OptimizerKind
{
    /// <summary>Plain (optionally momentum) SGD: FFN-PyTorch's train.py uses SGD at lr 0.001.</summary>
    Sgd,

    /// <summary>Adam with PyTorch's bias-corrected update.</summary>
    Adam,
}

/// <summary>
/// Everything that shapes training, independent of the network's architecture. Shapes are (z, y, x). Defaults are
/// FFN-PyTorch's (its train.py) where it has one, else google/ffn's train.py.
/// </summary>
public sealed record TrainingOptions
{
    public int BatchSize { get; init; } = 16;
    public long MaxSteps { get; init; } = 1_000_000;
    public Vec3i FovSize { get; init; } = new(33, 33, 33);
    public Vec3i Deltas { get; init; } = new(8, 8, 8);

    /// <summary>Probability the canvas must reach at a neighbour FoV centre for the FoV to move there.</summary>
    public double MoveThreshold { get; init; } = 0.9;

    /// <summary>Seed canvas value (probability) outside the seed voxel, and at it.</summary>
    public double SeedPad { get; init; } = 0.05;
    public double SeedInit { get; init; } = 0.95;

    /// <summary>Label softening: 1 - s inside the centre object, s outside (google/ffn soften_labels).</summary>
    public double LabelSoftness { get; init; } = 0.05;

    public double ImageMean { get; init; } = 128;
    public double ImageStddev { get; init; } = 33;

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public double LearningRate { get; init; } = 0.001;
    public double Momentum { get; init; }
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Staircase exponential decay (TF's exponential_decay, staircase=True): lr * factor^floor(step/steps); 0 steps = off.</summary>
    public double LearningRateDecayFactor { get; init; } = 1.0;
    public long LearningRateDecaySteps { get; init; }

    /// <summary>Every gradient entry clipped to ±this (google/ffn's max_gradient_entry_mag 0.7); 0 = off.</summary>
    public double GradientClip { get; init; }

    /// <summary>Reflect each axis with probability 1/2 (google/ffn's reflectable axes; FFN-PyTorch flips one).</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Axes (z, y, x) that may be transposed among themselves; only where the voxel size is isotropic in them.</summary>
    public bool PermuteZ { get; init; }
    public bool PermuteY { get; init; } = true;
    public bool PermuteX { get; init; } = true;

    /// <summary>Intensity jitter of the normalized image: x * (1 + U(-scale, scale)) + U(-shift, shift); 0 = off.</summary>
    public double JitterScale { get; init; }
    public double JitterShift { get; init; }

    /// <summary>Visit the 26 neighbour FoV offsets in a random order per example (both references), else in google/ffn's order.</summary>
    public bool ShuffleMoves { get; init; } = true;

    /// <summary>Seeds weight initialization and every example's augmentation and move order (per coordinate ordinal).</summary>
    public ulong Seed { get; init; } = 1;

    public long CheckpointEverySteps { get; init; } = 500;
    public double CheckpointEveryMinutes { get; init; } = 5;
    public int LogEvery { get; init; } = 100;
    public int ImageSummaryEvery { get; init; } = 2000;

    /// <summary>Examples the background pipeline prepares ahead, in batches.</summary>
    public int PrefetchBatches { get; init; } = 4;

    /// <summary>The patch read around each coordinate: the FoV plus one move in every direction.</summary>
    public Vec3i ExampleSize => FovSize + Deltas * 2;

    public void Validate()
    {
        // NaN passes every range check below (each comparison is false), so finiteness comes first, for every float flag
        // (the image mean and stddev: ImageNormalization).
        foreach (var (flag, v) in new[]
                 {
                     ("--threshold", MoveThreshold), ("--seed-pad", SeedPad), ("--seed-init", SeedInit), ("--label-softness", LabelSoftness),
                     ("--learning-rate", LearningRate), ("--momentum", Momentum),
                     ("--adam-beta1", AdamBeta1), ("--adam-beta2", AdamBeta2), ("--adam-epsilon", AdamEpsilon),
                     ("--lr-decay-factor", LearningRateDecayFactor), ("--grad-clip", GradientClip), ("--jitter-scale", JitterScale),
                     ("--jitter-shift", JitterShift), ("--checkpoint-every-minutes", CheckpointEveryMinutes),
                 })
            FiniteSetting.Require(flag, v);
        if (BatchSize < 1) throw new InputException($"--batch-size must be >= 1, got {BatchSize}");
        if (MaxSteps < 0) throw new InputException($"--max-steps must be >= 0, got {MaxSteps}");
        if (!FovSize.AllPositive || FovSize.Z % 2 == 0 || FovSize.Y % 2 == 0 || FovSize.X % 2 == 0)
            throw new InputException($"--fov-size must be positive and odd on every axis, got {FovSize}");
        if (Deltas.Z < 0 || Deltas.Y < 0 || Deltas.X < 0) throw new InputException($"--deltas must be >= 0, got {Deltas}");
        if (Deltas.Z > FovSize.Z / 2 || Deltas.Y > FovSize.Y / 2 || Deltas.X > FovSize.X / 2)
            throw new InputException($"--deltas {Deltas}: a move must stay within the FoV radius {FovSize / 2}");
        if (MoveThreshold is <= 0 or >= 1) throw new InputException($"--threshold must be in (0, 1), got {MoveThreshold}");
        if (SeedPad is <= 0 or >= 1) throw new InputException($"--seed-pad must be in (0, 1), got {SeedPad}");
        if (SeedInit is <= 0 or >= 1) throw new InputException($"--seed-init must be in (0, 1), got {SeedInit}");
        if (LabelSoftness is < 0 or >= 0.5) throw new InputException($"--label-softness must be in [0, 0.5), got {LabelSoftness}");
        DataPrep.ImageNormalization.Validate(ImageMean, ImageStddev);
        if (LearningRate <= 0) throw new InputException($"--learning-rate must be > 0, got {LearningRate}");
        if (Momentum is < 0 or >= 1) throw new InputException($"--momentum must be in [0, 1), got {Momentum}");
        if (AdamBeta1 is < 0 or >= 1 || AdamBeta2 is < 0 or >= 1) throw new InputException("--adam-beta1/--adam-beta2 must be in [0, 1)");
        if (AdamEpsilon <= 0) throw new InputException($"--adam-epsilon must be > 0, got {AdamEpsilon}");
        if (LearningRateDecayFactor is <= 0 or > 1) throw new InputException($"--lr-decay-factor must be in (0, 1], got {LearningRateDecayFactor}");
        if (LearningRateDecaySteps < 0) throw new InputException($"--lr-decay-steps must be >= 0, got {LearningRateDecaySteps}");
        if (GradientClip < 0) throw new InputException($"--grad-clip must be >= 0, got {GradientClip}");
        if (JitterScale is < 0 or >= 1) throw new InputException($"--jitter-scale must be in [0, 1), got {JitterScale}");
        if (JitterShift < 0) throw new InputException($"--jitter-shift must be >= 0, got {JitterShift}");
        if (CheckpointEverySteps < 0) throw new InputException($"--checkpoint-every-steps must be >= 0, got {CheckpointEverySteps}");
        if (CheckpointEveryMinutes < 0) throw new InputException($"--checkpoint-every-minutes must be >= 0, got {CheckpointEveryMinutes}");
        if (LogEvery < 1) throw new InputException($"--log-every must be >= 1, got {LogEvery}");
        if (ImageSummaryEvery < 0) throw new InputException($"--image-summary-every must be >= 0, got {ImageSummaryEvery}");
        if (PrefetchBatches < 1) throw new InputException($"--prefetch-batches must be >= 1, got {PrefetchBatches}");
        var s = ExampleSize;
        int[] perm = [.. new[] { (PermuteZ, s.Z), (PermuteY, s.Y), (PermuteX, s.X) }.Where(a => a.Item1).Select(a => a.Item2)];
        if (perm.Distinct().Count() > 1)
            throw new InputException($"axis permutation needs equal example sizes on the permuted axes; example (fov + 2*deltas) is {s}");
    }

    /// <summary>The learning rate at <paramref name="step"/> (0-based number of updates done so far).</summary>
    public double LearningRateAt(long step) =>
        LearningRateDecaySteps > 0 ? LearningRate * Math.Pow(LearningRateDecayFactor, step / LearningRateDecaySteps) : LearningRate;
}
