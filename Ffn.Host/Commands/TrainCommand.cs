using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Training;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn train`: FoV-movement training (FFN-PyTorch's train.py, google/ffn's train.py), resumable from the newest
/// checkpoint in --checkpoints, with FFN-PyTorch's snake_case flag names as aliases.
/// </summary>
public static class TrainCommand
{
    /// <summary>--optimizer's values (`ffn bench train` times the same ones).</summary>
    public static readonly (string Name, OptimizerKind Value)[] Optimizers = [("sgd", OptimizerKind.Sgd), ("adam", OptimizerKind.Adam)];

    public static Command Create(CommandContext ctx)
    {
        const string s = "train";
        var coords = Flags.Make<string>(ctx, s, "--train-coords", "Training coordinates COORDS.npy (ffn build-coordinates)", "--train_coords");
        var data = Flags.Make<string>(ctx, s, "--data-volumes", "Images NAME:PATH.h5:dataset[,...] (NAME as in the coordinates), or one PATH.h5:dataset", "--data_volumes");
        var labels = Flags.Make<string>(ctx, s, "--label-volumes", "Object labels (not partitions) NAME:PATH.h5:dataset[,...], or one PATH.h5:dataset", "--label_volumes");
        var ckDir = Flags.Make<string>(ctx, s, "--checkpoints", "Directory for INDEX_STEP.pkl checkpoints and TensorBoard events; training resumes from the newest there");
        var start = Flags.Make<string>(ctx, s, "--starting-model", "Checkpoint to fine-tune (ours, FFN-PyTorch .pkl or Google TF); \"\" = random initialization", "--starting_model");
        var batch = Flags.Make<int>(ctx, s, "--batch-size", "Examples per step", "--batch_size");
        var maxSteps = Flags.Make<long>(ctx, s, "--max-steps", "Train until this many updates (0 on a new --checkpoints directory: write the untrained network)", "--max_steps");
        var fov = Flags.Make<string>(ctx, s, "--fov-size", "FoV z,y,x (odd)", "--fov_size");
        var deltas = Flags.Make<string>(ctx, s, "--deltas", "FoV move z,y,x");
        var threshold = Flags.Make<double>(ctx, s, "--threshold", "Prediction the neighbour FoV centre must reach for the FoV to move there");
        var pad = Flags.Make<double>(ctx, s, "--seed-pad", "Seed canvas probability outside the seed voxel", "--seed_pad");
        var init = Flags.Make<double>(ctx, s, "--seed-init", "Seed canvas probability at the seed voxel");
        var soft = Flags.Make<double>(ctx, s, "--label-softness", "Soft labels: 1 - s in the centre object, s elsewhere");
        var mean = Flags.Make<double>(ctx, s, "--image-mean", "Image mean for normalization (ffn stats)", "--image_mean");
        var std = Flags.Make<double>(ctx, s, "--image-stddev", "Image standard deviation for normalization (ffn stats)", "--image_stddev");
        var arch = Flags.Make<string>(ctx, s, "--architecture", "convstack_3d or ffnpy_basic (\"\" = the starting model's, else convstack_3d)");
        var depth = Flags.Make<int>(ctx, s, "--depth", "Network depth (conv0 + depth-1 residual modules)");
        var features = Flags.Make<int>(ctx, s, "--features", "Feature maps per layer");
        var optimizer = Flags.Make<string>(ctx, s, "--optimizer", "sgd or adam");
        var lr = Flags.Make<double>(ctx, s, "--learning-rate", "Learning rate", "--learning_rate");
        var momentum = Flags.Make<double>(ctx, s, "--momentum", "SGD momentum (0 = plain SGD, FFN-PyTorch's)");
        var beta1 = Flags.Make<double>(ctx, s, "--adam-beta1", "Adam beta1");
        var beta2 = Flags.Make<double>(ctx, s, "--adam-beta2", "Adam beta2");
        var eps = Flags.Make<double>(ctx, s, "--adam-epsilon", "Adam epsilon");
        var decay = Flags.Make<double>(ctx, s, "--lr-decay-factor", "Learning rate x this every --lr-decay-steps (staircase)");
        var decaySteps = Flags.Make<long>(ctx, s, "--lr-decay-steps", "Steps per learning-rate decay (0 = constant)");
        var clip = Flags.Make<double>(ctx, s, "--grad-clip", "Clip every gradient entry to +-this (google/ffn: 0.7; 0 = off)");
        var flip = Flags.Make<bool>(ctx, s, "--flip", "Augment: reflect each axis with probability 1/2");
        var permute = Flags.Make<string>(ctx, s, "--permute-axes", "Augment: axes that may be transposed, subset of z,y,x (only where voxels are isotropic in them; \"\" = none)");
        var jScale = Flags.Make<double>(ctx, s, "--jitter-scale", "Augment: normalized intensity x (1 + U(-s, s)) (0 = off)");
        var jShift = Flags.Make<double>(ctx, s, "--jitter-shift", "Augment: normalized intensity + U(-s, s) (0 = off)");
        var shuffle = Flags.Make<bool>(ctx, s, "--shuffle-moves", "Visit the 26 neighbour offsets in random order per example");
        var seed = Flags.Make<long>(ctx, s, "--seed", "Random seed: initialization, augmentation and move orders");
        var ckSteps = Flags.Make<long>(ctx, s, "--checkpoint-every-steps", "Checkpoint every N steps (0 = off)");
        var ckMinutes = Flags.Make<double>(ctx, s, "--checkpoint-every-minutes", "Checkpoint every M minutes (0 = off)");
        var logEvery = Flags.Make<int>(ctx, s, "--log-every", "Progress line and TensorBoard scalars every K steps");
        var imgEvery = Flags.Make<int>(ctx, s, "--image-summary-every", "TensorBoard mid-slice images every N steps (0 = off)");
        var prefetch = Flags.Make<int>(ctx, s, "--prefetch-batches", "Batches of examples the background pipeline prepares ahead");
        var tensorboard = Flags.Make<bool>(ctx, s, "--tensorboard", "Write TensorBoard event files into --checkpoints");
        var evalCoords = Flags.Make<string>(ctx, s, "--eval-coords", "Held-out coordinates COORDS.npy (\"\" = no evaluation)");
        var evalData = Flags.Make<string>(ctx, s, "--eval-data-volumes", "Held-out images, as --data-volumes");
        var evalLabels = Flags.Make<string>(ctx, s, "--eval-label-volumes", "Held-out labels, as --label-volumes");
        var evalEvery = Flags.Make<int>(ctx, s, "--eval-every", "Evaluate on held-out examples every N steps and at the end");
        var evalExamples = Flags.Make<int>(ctx, s, "--eval-examples", "Held-out examples per evaluation (the first N coordinates)");
        var torchFlags = new TorchFlags(ctx);
        var cmd = new Command("train", "Train an FFN with FoV movement (FFN-PyTorch's train.py); resumes from the newest checkpoint in --checkpoints")
        {
            coords, data, labels, ckDir, start, batch, maxSteps, fov, deltas, threshold, pad, init, soft, mean, std, arch, depth, features,
            optimizer, lr, momentum, beta1, beta2, eps, decay, decaySteps, clip, flip, permute, jScale, jShift, shuffle, seed, ckSteps, ckMinutes,
            logEvery, imgEvery, prefetch, tensorboard, evalCoords, evalData, evalLabels, evalEvery, evalExamples,
        };
        torchFlags.AddTo(cmd);
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var coordsPath = Flags.Required(r, coords, "COORDS.npy");
            if (!File.Exists(coordsPath)) throw new UsageException($"--train-coords {coordsPath}: no such file");
            var dataVols = Wrap(() => NamedVolume.ParseList(r.GetValue(data), "--data-volumes"));
            var labelVols = Wrap(() => NamedVolume.ParseList(r.GetValue(labels), "--label-volumes"));
            var dir = Flags.Required(r, ckDir, "a checkpoint directory");
            var perm = (r.GetValue(permute) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var a in perm)
                if (a is not ("z" or "y" or "x")) throw new UsageException($"--permute-axes: '{a}' is not one of z, y, x");
            var opt = Flags.Choice("--optimizer", r.GetValue(optimizer), Optimizers);
            var options = new TrainingOptions
            {
                BatchSize = r.GetValue(batch), MaxSteps = r.GetValue(maxSteps),
                FovSize = Flags.ParseVec("--fov-size", r.GetValue(fov)), Deltas = Flags.ParseVec("--deltas", r.GetValue(deltas), positive: false),
                MoveThreshold = r.GetValue(threshold), SeedPad = r.GetValue(pad), SeedInit = r.GetValue(init), LabelSoftness = r.GetValue(soft),
                ImageMean = r.GetValue(mean), ImageStddev = r.GetValue(std),
                Optimizer = opt, LearningRate = r.GetValue(lr), Momentum = r.GetValue(momentum),
                AdamBeta1 = r.GetValue(beta1), AdamBeta2 = r.GetValue(beta2), AdamEpsilon = r.GetValue(eps),
                LearningRateDecayFactor = r.GetValue(decay), LearningRateDecaySteps = r.GetValue(decaySteps), GradientClip = r.GetValue(clip),
                Flip = r.GetValue(flip), PermuteZ = perm.Contains("z"), PermuteY = perm.Contains("y"), PermuteX = perm.Contains("x"),
                JitterScale = r.GetValue(jScale), JitterShift = r.GetValue(jShift), ShuffleMoves = r.GetValue(shuffle),
                Seed = unchecked((ulong)r.GetValue(seed)), CheckpointEverySteps = r.GetValue(ckSteps), CheckpointEveryMinutes = r.GetValue(ckMinutes),
                LogEvery = r.GetValue(logEvery), ImageSummaryEvery = r.GetValue(imgEvery), PrefetchBatches = r.GetValue(prefetch),
            };
            options.Validate();
            OutputDirectory.Ensure("--checkpoints", dir);

            // Everything about the data is checked before the network is built.
            var log = (string m) => ctx.Progress.Report(m);
            var trainData = TrainingData.Load(coordsPath, dataVols, labelVols, options.ExampleSize, log);
            HeldOutEvaluator? evaluator = null;
            if (r.GetValue(evalCoords) is { Length: > 0 } ec)
            {
                if (!File.Exists(ec)) throw new UsageException($"--eval-coords {ec}: no such file");
                var evData = TrainingData.Load(ec, Wrap(() => NamedVolume.ParseList(r.GetValue(evalData), "--eval-data-volumes")),
                    Wrap(() => NamedVolume.ParseList(r.GetValue(evalLabels), "--eval-label-volumes")), options.ExampleSize, log);
                int n = Flags.AtLeast(r, evalExamples);
                Flags.AtLeast(r, evalEvery);
                evaluator = new HeldOutEvaluator(evData, options, n);
            }

            var dev = torchFlags.Prepare(r, KernelPurpose.Training);
            var resume = TrainingCheckpoint.FindNewest(dir);
            ConvStack3D model;
            string origin;
            if (resume is not null)
            {
                model = ModelCheckpoint.Load(resume.ModelPath);
                origin = $"resuming from {resume.ModelPath} (step {resume.Step})";
                CheckArchitecture(model.Config, resume.ModelPath);
            }
            else if (r.GetValue(start) is { Length: > 0 } sm)
            {
                model = ModelCheckpoint.Load(sm);
                origin = $"fine-tuning {sm} ({model.Config.Architecture.Name()} depth {model.Config.Depth}, {model.Config.Features} features, trained {model.Config.TrainingStep} steps)";
                CheckArchitecture(model.Config, sm);
            }
            else
            {
                TorchSharp.torch.manual_seed(r.GetValue(seed));
                var a = r.GetValue(arch) is { Length: > 0 } an ? NetworkVariants.Parse(an) : NetworkVariant.Google;
                model = new ConvStack3D(new ModelConfig { Architecture = a, Depth = r.GetValue(depth), Features = r.GetValue(features), FovSize = options.FovSize, Deltas = options.Deltas },
                    initSeed: r.GetValue(seed));
                origin = $"a new {a.Name()} network, depth {model.Config.Depth}, {model.Config.Features} features";
            }
            var ci = CultureInfo.InvariantCulture;
            log(string.Create(ci, $"train: {origin}; {trainData.Count} coordinates, batch {options.BatchSize}, FoV {options.FovSize}, deltas {options.Deltas}, {options.Optimizer.ToString().ToLowerInvariant()} lr {options.LearningRate}, device {dev}, {TorchSharp.torch.get_num_threads()} threads"));

            using var trainer = new Trainer(model, trainData, options, dev, resume, log);
            long first = trainer.Step;
            if (first >= options.MaxSteps)
            {
                if (resume is not null)
                {
                    ctx.Out.WriteLine($"nothing to do: {resume.ModelPath} is at step {first} >= --max-steps {options.MaxSteps}");
                    return FfnCli.Ok;
                }
                // --max-steps 0: the network as training would start it (a baseline to compare trained ones with).
                var initial = trainer.SaveCheckpoint(dir);
                ctx.Out.WriteLine($"wrote the untrained network (step {first}, --seed {options.Seed}): checkpoint {initial.ModelPath}");
                return FfnCli.Ok;
            }
            var run = new TrainingRun(trainer, dir, dev, log) { Evaluator = evaluator, EvalEvery = r.GetValue(evalEvery), TensorBoard = r.GetValue(tensorboard) };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // The first Ctrl-C or SIGTERM lets the current step finish and a checkpoint be written (a FIB-25 step can
            // take longer than the command line's grace period); a second one terminates at once.
            using var stop = new TerminationSignals(ct, () => log("train: stopping after this step (a checkpoint follows); signal again to quit at once"), secondQuits: true);
            TrainingCheckpoint? ck;
            try
            {
                ck = run.Run(stop.Token);
            }
            catch (TrainingDivergedException diverged)
            {
                // Nothing non-finite is ever saved, so the newest checkpoint in the directory is the one to go on from.
                var kept = TrainingCheckpoint.FindNewest(dir);
                ctx.Err.WriteLine($"ffn: error: {diverged.Message}; " + (kept is null
                    ? "no checkpoint was written: rerun with a lower --learning-rate"
                    : $"the newest checkpoint is still {kept.ModelPath} (step {kept.Step}): rerun with a lower --learning-rate to resume from it"));
                return FfnCli.RuntimeError;
            }
            double secs = clock.Elapsed.TotalSeconds;
            var last = run.Reports.LastOrDefault();
            ctx.Out.WriteLine(string.Create(ci, $"trained steps {first}..{trainer.Step} in {secs:F1} s ({(trainer.Step - first) / secs:F2} steps/s, data wait {100 * trainer.DataWait.TotalSeconds / secs:F1}%); checkpoint {ck?.ModelPath}") +
                (last is null ? "" : string.Create(ci, $"; last window loss {last.Loss:F4}, F1 {last.F1:F3}")) +
                (run.Evaluations.LastOrDefault() is { } e ? string.Create(ci, $"; held-out FoV F1 {e.FovF1:F3}, object F1 {e.ObjectF1:F3}") : ""));
            return FfnCli.Ok;

            void CheckArchitecture(ModelConfig c, string path)
            {
                bool Given(Option o) => r.GetResult(o) is { Implicit: false };
                if (Given(depth) && r.GetValue(depth) != c.Depth || Given(features) && r.GetValue(features) != c.Features ||
                    Given(arch) && r.GetValue(arch) is { Length: > 0 } an && NetworkVariants.Parse(an) != c.Architecture)
                    throw new UsageException($"{path}: a {c.Architecture.Name()} network of depth {c.Depth} with {c.Features} features, not the --architecture/--depth/--features given");
            }
        }
    }

    private static T Wrap<T>(Func<T> f)
    {
        try
        {
            return f();
        }
        catch (InputException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
