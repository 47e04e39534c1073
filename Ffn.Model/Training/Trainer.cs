using System.Diagnostics;
using Ffn.Model.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>
/// FFN training with FoV movement (google/ffn train.py with the fixed_offsets policy; FFN-PyTorch train.py):
/// <see cref="TrainingOptions.BatchSize"/> independent examples advance in lockstep; each step feeds every
/// example's current FoV (image, seed logits) to the network, takes logits = seed + update, a mean sigmoid
/// cross-entropy against the soft labels, one optimizer update, and writes the logits back into each example's
/// canvas, which decides where that example's FoV may go next. Examples come from a background
/// <see cref="ExamplePipeline"/>. Owned by one thread.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly ConvStack3D _model;
    private readonly TrainingOptions _o;
    private readonly Device _device;
    private readonly ExampleFactory _factory;
    private readonly ExamplePipeline _pipeline;
    private readonly TrainingOptimizer _optimizer;
    private readonly FovRun?[] _runs;
    private readonly long[] _shape;
    private readonly int _fovVoxels;
    private readonly double _elapsedBefore;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private float[] _lastInput = [], _lastLabels = [], _lastLogits = [];

    /// <summary>
    /// Starts training <paramref name="model"/> (already holding its starting or resumed weights). With
    /// <paramref name="resume"/>, continues exactly where that checkpoint stood: step, optimizer state, coordinate
    /// position and the examples that were in flight.
    /// </summary>
    public Trainer(ConvStack3D model, TrainingData data, TrainingOptions options, Device device, TrainingCheckpoint? resume = null,
        Action<string>? log = null)
    {
        options.Validate();
        _model = model;
        _o = options;
        _device = device;
        _model.to(device);
        _model.train();
        _factory = new ExampleFactory(data, options);
        _optimizer = TrainingOptimizer.For(_model, options);
        _runs = new FovRun?[options.BatchSize];
        var f = options.FovSize;
        _fovVoxels = (int)f.Product;
        _shape = [options.BatchSize, 2, f.Z, f.Y, f.X];
        long nextOrdinal = 0;
        if (resume is not null)
        {
            var st = resume.ReadState();
            if (st.Optimizer != _optimizer.Name)
                throw new InputException($"{resume.StatePath}: saved with optimizer {st.Optimizer}, not {_optimizer.Name}; train on in a new --checkpoints directory to switch");
            if (st.CoordinateCount != data.Count)
                log?.Invoke($"train: warning: {resume.StatePath} was trained on {st.CoordinateCount} coordinates, now {data.Count}; continuing at ordinal {st.NextOrdinal}");
            var tensors = resume.ReadTensors();
            try
            {
                _optimizer.Load(tensors, st.OptimizerUpdates, resume.TensorsPath);
                if (st.BatchSize == options.BatchSize && st.Seed == options.Seed)
                {
                    for (int s = 0; s < _runs.Length; s++)
                    {
                        if (st.Slots.ElementAtOrDefault(s) is not { } slot) continue;
                        if (!tensors.TryGetValue($"slot{s}.canvas", out var c))
                            throw new InputException($"{resume.TensorsPath}: no canvas for in-flight example {s}");
                        var ex = _factory.Make(slot.Ordinal);
                        _runs[s] = new FovRun(ex, f, options.SeedPad, options.SeedInit, options.MoveThreshold, c.data<float>().ToArray(), slot.MovesTried);
                    }
                }
                else
                {
                    log?.Invoke("train: batch size or seed changed since the checkpoint; the examples in flight start afresh");
                }
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
            Step = st.Step;
            nextOrdinal = st.NextOrdinal;
            _elapsedBefore = st.ElapsedSeconds;
        }
        _pipeline = new ExamplePipeline(_factory, nextOrdinal, options.PrefetchBatches * options.BatchSize);
    }

    public long Step { get; private set; }
    public TrainingOptions Options => _o;
    public ConvStack3D Model => _model;
    public long NextOrdinal => _pipeline.NextOrdinal;
    public TimeSpan DataWait => _pipeline.Waited;
    public double ElapsedSeconds => _elapsedBefore + _clock.Elapsed.TotalSeconds;
    public double LearningRate => _o.LearningRateAt(Step);

    /// <summary>Metrics of the steps since the caller last reset them.</summary>
    public MaskMetrics Metrics { get; } = new();

    /// <summary>Examples started (taken from the pipeline) in this process.</summary>
    public long ExamplesStarted { get; private set; }

    /// <summary>One update on one batch; returns its loss.</summary>
    public double TrainStep()
    {
        int b = _o.BatchSize, n = _fovVoxels;
        var input = new float[b * 2 * n];
        var labels = new float[b * n];
        for (int s = 0; s < b; s++)
        {
            while (true)
            {
                if (_runs[s] is null)
                {
                    _runs[s] = new FovRun(_pipeline.Take(), _o.FovSize, _o.SeedPad, _o.SeedInit, _o.MoveThreshold);
                    ExamplesStarted++;
                }
                if (_runs[s]!.TryNext()) break;
                _runs[s] = null;
            }
            _runs[s]!.CopyFov(input.AsSpan(2 * s * n, n), input.AsSpan((2 * s + 1) * n, n), labels.AsSpan(s * n, n));
        }

        var (loss, logits) = Update(_model, _optimizer, input, labels, _shape, LearningRate, _o.GradientClip, _device);
        if (!double.IsFinite(loss)) throw new TrainingDivergedException(Step + 1, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"loss {loss}"));
        for (int s = 0; s < b; s++) _runs[s]!.Update(logits.AsSpan(s * n, n));
        Metrics.Add(logits, labels);
        Metrics.AddLoss(loss);
        (_lastInput, _lastLabels, _lastLogits) = (input, labels, logits);
        Step++;
        return loss;
    }

    /// <summary>
    /// One optimizer update on a batch: input [b, 2, z, y, x] (image, seed logits), soft labels [b, 1, z, y, x];
    /// logits = seed + network update, loss = mean sigmoid cross-entropy. Returns the loss and the logits.
    /// </summary>
    public static (double Loss, float[] Logits) Update(ConvStack3D model, TrainingOptimizer optimizer, float[] input, float[] labels,
        long[] shape, double lr, double gradientClip, Device device)
    {
        using var scope = NewDisposeScope();
        var x = tensor(input, shape).to(device);
        var y = tensor(labels, [shape[0], 1, shape[2], shape[3], shape[4]]).to(device);
        var z = x.narrow(1, 1, 1) + model.forward(x);
        var l = nn.functional.binary_cross_entropy_with_logits(z, y);
        model.zero_grad();
        l.backward();
        if (gradientClip > 0)
            using (no_grad())
                foreach (var p in model.parameters())
                    p.grad?.clamp_(-gradientClip, gradientClip);
        optimizer.Step(lr);
        return (l.item<float>(), z.detach().cpu().data<float>().ToArray());
    }

    /// <summary>Mid-z slices of the first example of the last batch: image (back in grey levels / 255), label, prediction.</summary>
    public IEnumerable<(string Tag, float[] Pixels, int Height, int Width)> LastBatchSlices()
    {
        if (_lastLogits.Length == 0) yield break;
        var f = _o.FovSize;
        int plane = f.Y * f.X, off = f.Z / 2 * plane;
        float[] Slice(float[] src, int start, Func<float, float> map) => [.. src.AsSpan(start + off, plane).ToArray().Select(map)];
        yield return ("train/image", Slice(_lastInput, 0, v => (float)((v * _o.ImageStddev + _o.ImageMean) / 255)), f.Y, f.X);
        yield return ("train/label", Slice(_lastLabels, 0, v => v), f.Y, f.X);
        yield return ("train/prediction", Slice(_lastLogits, 0, v => 1 / (1 + MathF.Exp(-v))), f.Y, f.X);
    }

    /// <summary>Writes a checkpoint of the current state into <paramref name="dir"/>.</summary>
    public TrainingCheckpoint SaveCheckpoint(string dir)
    {
        var tensors = new Dictionary<string, Tensor>(_optimizer.State);
        var canvases = new List<Tensor>();
        try
        {
            var slots = new List<SlotState?>();
            for (int s = 0; s < _runs.Length; s++)
            {
                if (_runs[s] is not { } r)
                {
                    slots.Add(null);
                    continue;
                }
                slots.Add(new SlotState(r.Example.Ordinal, r.MovesTried));
                var c = tensor(r.Canvas, [r.Canvas.Length]);
                canvases.Add(c);
                tensors[$"slot{s}.canvas"] = c;
            }
            var state = new TrainingState
            {
                Step = Step, NextOrdinal = _pipeline.NextOrdinal, CoordinateCount = _factory.Count, BatchSize = _o.BatchSize, Seed = _o.Seed,
                Optimizer = _optimizer.Name, OptimizerUpdates = _optimizer.Updates, ElapsedSeconds = ElapsedSeconds, Slots = slots,
            };
            var config = _model.Config with
            {
                FovSize = _o.FovSize, Deltas = _o.Deltas, ImageMean = _o.ImageMean, ImageStddev = _o.ImageStddev,
                PadValue = _o.SeedPad, InitActivation = _o.SeedInit, MoveThreshold = _o.MoveThreshold, TrainingStep = Step, Source = "ffn train",
            };
            return TrainingCheckpoint.Save(dir, _model, config, state, tensors);
        }
        finally
        {
            foreach (var c in canvases) c.Dispose();
        }
    }

    public void Dispose()
    {
        _pipeline.Dispose();
        _optimizer.Dispose();
    }
}
