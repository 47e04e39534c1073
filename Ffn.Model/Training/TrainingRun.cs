using System.Diagnostics;
using Ffn.Model.Network;
using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>
/// Drives a <see cref="Trainer"/> to its last step: progress every --log-every steps (console and TensorBoard
/// scalars), image summaries, held-out evaluation, and checkpoints every N steps, every M minutes, at the end and
/// on cancellation.
/// </summary>
public sealed class TrainingRun(Trainer trainer, string checkpointDir, Device device, Action<string> log)
{
    public HeldOutEvaluator? Evaluator { get; init; }
    public int EvalEvery { get; init; }
    public bool TensorBoard { get; init; } = true;

    /// <summary>Every progress report and held-out result, in order (for callers that print a curve).</summary>
    public List<TrainingProgress> Reports { get; } = [];
    public List<HeldOutResult> Evaluations { get; } = [];

    public TrainingCheckpoint? Run(CancellationToken ct)
    {
        var o = trainer.Options;
        using var tb = TensorBoard ? new TensorBoardWriter(checkpointDir) : null;
        if (tb is not null) log($"train: TensorBoard events in {tb.Path}");
        var window = Stopwatch.StartNew();
        var lastCheckpoint = Stopwatch.StartNew();
        long windowStart = trainer.Step, examplesAtStart = trainer.ExamplesStarted, savedStep = -1;
        var waitAtStart = trainer.DataWait;
        TrainingCheckpoint? ck = null;
        bool diverged = false;
        try
        {
            while (trainer.Step < o.MaxSteps)
            {
                ct.ThrowIfCancellationRequested();
                trainer.TrainStep();
                long step = trainer.Step;
                if (step % o.LogEvery == 0 || step == o.MaxSteps)
                {
                    double secs = Math.Max(window.Elapsed.TotalSeconds, 1e-9), steps = step - windowStart;
                    var m = trainer.Metrics;
                    double sps = steps / secs;
                    var p = new TrainingProgress(step, o.MaxSteps, m.Loss, m.Precision, m.Recall, m.F1, m.Accuracy, trainer.LearningRate, sps,
                        sps * o.BatchSize, (trainer.ExamplesStarted - examplesAtStart) / secs, (trainer.DataWait - waitAtStart).TotalSeconds / secs,
                        sps > 0 ? TimeSpan.FromSeconds((o.MaxSteps - step) / sps) : null);
                    Reports.Add(p);
                    log(Format(p));
                    tb?.Scalars(step, [("loss", p.Loss), ("f1", p.F1), ("precision", p.Precision), ("recall", p.Recall), ("accuracy", p.Accuracy),
                        ("learning_rate", p.LearningRate), ("steps_per_sec", p.StepsPerSecond), ("data_wait_fraction", p.DataWaitFraction)]);
                    tb?.Flush();
                    m.Reset();
                    window.Restart();
                    windowStart = step;
                    examplesAtStart = trainer.ExamplesStarted;
                    waitAtStart = trainer.DataWait;
                }
                if (tb is not null && o.ImageSummaryEvery > 0 && step % o.ImageSummaryEvery == 0) tb.Images(step, trainer.LastBatchSlices());
                if (Evaluator is not null && EvalEvery > 0 && (step % EvalEvery == 0 || step == o.MaxSteps))
                {
                    window.Stop(); // evaluation time is not training time
                    var clock = Stopwatch.StartNew();
                    var r = Evaluator.Evaluate(trainer.Model, device, step);
                    Evaluations.Add(r);
                    log(FormattableString.Invariant($"eval step {step}: {r.Examples} held-out examples, {r.FovSteps} FoV steps: loss {r.FovLoss:F4}, FoV P/R/F1 {r.FovPrecision:F3}/{r.FovRecall:F3}/{r.FovF1:F3}, object P/R/F1 {r.ObjectPrecision:F3}/{r.ObjectRecall:F3}/{r.ObjectF1:F3} ({clock.Elapsed.TotalSeconds:F1} s)"));
                    tb?.Scalars(step, [("eval/loss", r.FovLoss), ("eval/f1", r.FovF1), ("eval/object_f1", r.ObjectF1)]);
                    window.Start();
                }
                bool due = (o.CheckpointEverySteps > 0 && step % o.CheckpointEverySteps == 0) ||
                           (o.CheckpointEveryMinutes > 0 && lastCheckpoint.Elapsed.TotalMinutes >= o.CheckpointEveryMinutes);
                if (due)
                {
                    ck = trainer.SaveCheckpoint(checkpointDir);
                    savedStep = step;
                    lastCheckpoint.Restart();
                    log($"train: checkpoint {ck.ModelPath}");
                }
            }
        }
        catch (TrainingDivergedException)
        {
            diverged = true;
            throw;
        }
        finally
        {
            // At the end, and on Ctrl-C or a failure, keep what was done (a kill -9 loses only the steps since the last one);
            // after a divergence the weights are lost, and the last checkpoint written stays the newest.
            if (!diverged && trainer.Step != savedStep && trainer.Step > 0)
            {
                ck = trainer.SaveCheckpoint(checkpointDir);
                log($"train: checkpoint {ck.ModelPath}");
            }
        }
        return ck;
    }

    public static string Format(TrainingProgress p) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"step {p.Step}/{p.MaxSteps}: loss {p.Loss:F4}, P/R/F1 {p.Precision:F3}/{p.Recall:F3}/{p.F1:F3}, acc {p.Accuracy:F3}, lr {p.LearningRate:G3}, {p.StepsPerSecond:F2} steps/s, {p.FovsPerSecond:F1} FoV/s, {p.ExamplesPerSecond:F2} examples/s, data wait {100 * p.DataWaitFraction:F1}%, ETA {(p.Eta is { } e ? e.ToString(@"d\.hh\:mm\:ss") : "?")}");
}
