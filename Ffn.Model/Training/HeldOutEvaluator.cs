using Ffn.Model.Network;
using static TorchSharp.torch;

namespace Ffn.Model.Training;

/// <summary>
/// Measures the network on held-out examples the way training uses it, without updating it: the first N
/// coordinates of another volume (no augmentation, fixed move order per example), FoV movement driven by the
/// network's own predictions, batched like training. Reports pooled precision/recall/F1 per FoV step and over
/// each example's whole canvas after its last move against its object mask.
/// </summary>
public sealed class HeldOutEvaluator(TrainingData data, TrainingOptions options, int examples)
{
    private readonly ExampleFactory _factory = new(data, options, augment: false);

    public int Examples => Math.Min(examples, data.Count);

    public HeldOutResult Evaluate(ConvStack3D model, Device device, long step)
    {
        var f = options.FovSize;
        int n = (int)f.Product, b = options.BatchSize;
        var fov = new MaskMetrics();
        var obj = new MaskMetrics();
        long fovSteps = 0;
        var runs = new FovRun?[b];
        long next = 0;
        using var _ = no_grad();
        while (true)
        {
            var active = new List<int>();
            for (int s = 0; s < b; s++)
            {
                while (true)
                {
                    if (runs[s] is null)
                    {
                        if (next >= Examples) break;
                        runs[s] = new FovRun(_factory.Make(next++), f, options.SeedPad, options.SeedInit, options.MoveThreshold);
                    }
                    if (runs[s]!.TryNext())
                    {
                        active.Add(s);
                        break;
                    }
                    obj.Add(runs[s]!.Canvas, runs[s]!.Example.Labels);
                    runs[s] = null;
                }
            }
            if (active.Count == 0) break;
            var input = new float[active.Count * 2 * n];
            var labels = new float[active.Count * n];
            for (int i = 0; i < active.Count; i++)
                runs[active[i]]!.CopyFov(input.AsSpan(2 * i * n, n), input.AsSpan((2 * i + 1) * n, n), labels.AsSpan(i * n, n));
            float[] logits;
            using (var scope = NewDisposeScope())
            {
                var x = tensor(input, [active.Count, 2, f.Z, f.Y, f.X]).to(device);
                var y = tensor(labels, [active.Count, 1, f.Z, f.Y, f.X]).to(device);
                var z = x.narrow(1, 1, 1) + model.forward(x);
                fov.AddLoss(nn.functional.binary_cross_entropy_with_logits(z, y).item<float>());
                logits = z.cpu().data<float>().ToArray();
            }
            fov.Add(logits, labels);
            fovSteps += active.Count;
            for (int i = 0; i < active.Count; i++) runs[active[i]]!.Update(logits.AsSpan(i * n, n));
        }
        return new HeldOutResult(step, Examples, fovSteps, fov.Loss, fov.Precision, fov.Recall, fov.F1, obj.Precision, obj.Recall, obj.F1);
    }
}
