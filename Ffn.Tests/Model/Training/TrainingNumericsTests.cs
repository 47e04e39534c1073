using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Training;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Training;

/// <summary>Tests that switch libtorch's kernels for the whole process run alone.</summary>
[CollectionDefinition(nameof(ProcessWideKernels), DisableParallelization = true)]
public sealed class ProcessWideKernels;

/// <summary>
/// A short training run (Adam, fixed batches) on the CPU kernels this process runs against the same run on
/// libtorch's reference path without oneDNN: the loss curves must agree to 1e-4. On a CPU whose oneDNN backward
/// kernels are wrong (and with the self-check off, as in the per-ISA runs of .ci/run) this fails.
/// </summary>
[Collection(nameof(ProcessWideKernels))]
[Trait("Category", "Numerics")]
[Trait("Purpose", "Training")]
public class TrainingNumericsTests
{
    private const int Batch = 4, Steps = 25;
    private static readonly Vec3i Fov = new(9, 9, 9);

    [Fact]
    public void Loss_curve_matches_the_path_without_onednn()
    {
        var cfg = new ModelConfig { Depth = 2, Features = 16, FovSize = Fov };
        manual_seed(21);
        using var start = new ConvStack3D(cfg);
        var batches = Enumerable.Range(0, Steps).Select(MakeBatch).ToList();

        bool wasOn = LibTorch.OneDnnEnabled;
        double[] chosen, reference;
        try
        {
            chosen = Train(start, cfg, batches);
            LibTorch.OneDnnEnabled = false;
            reference = Train(start, cfg, batches);
        }
        finally
        {
            LibTorch.OneDnnEnabled = wasOn;
        }

        Assert.True(reference[0] - reference[^1] > 0.05, $"the run barely learned ({reference[0]:F4} -> {reference[^1]:F4}), so agreement would mean little");
        for (int i = 0; i < Steps; i++)
            Assert.True(Math.Abs(chosen[i] - reference[i]) <= 1e-4,
                $"step {i + 1}: loss {chosen[i]:F6} with the kernels in use ({KernelGuard.Current?.Chosen ?? "unguarded"}), {reference[i]:F6} without oneDNN");
    }

    private static double[] Train(ConvStack3D start, ModelConfig cfg, List<(float[] X, float[] Y)> batches)
    {
        using var model = new ConvStack3D(cfg);
        model.load_state_dict(start.state_dict());
        var options = new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 3e-3 };
        using var optimizer = TrainingOptimizer.For(model, options);
        return [.. batches.Select(b => Trainer.Update(model, optimizer, b.X, b.Y, [Batch, 2, Fov.Z, Fov.Y, Fov.X], 3e-3, 0, CPU).Loss)];
    }

    /// <summary>A ball of random radius and centre; the image shows it through noise, the seed channel marks its centre.</summary>
    private static (float[] X, float[] Y) MakeBatch(int step)
    {
        var rnd = new Random(1000 + step);
        int n = (int)Fov.Product;
        var x = new float[Batch * 2 * n];
        var y = new float[Batch * n];
        float pad = MathF.Log(0.05f / 0.95f), seed = -pad;
        for (int b = 0; b < Batch; b++)
        {
            double cz = 3 + rnd.NextDouble() * 2, cy = 3 + rnd.NextDouble() * 2, cx = 3 + rnd.NextDouble() * 2, r = 2 + rnd.NextDouble() * 2;
            for (int i = 0; i < n; i++)
            {
                int z = i / 81, yy = i / 9 % 9, xx = i % 9;
                bool inside = (z - cz) * (z - cz) + (yy - cy) * (yy - cy) + (xx - cx) * (xx - cx) <= r * r;
                x[(2 * b) * n + i] = (float)((inside ? 1 : -1) + 0.8 * (rnd.NextDouble() * 2 - 1));
                x[(2 * b + 1) * n + i] = i == n / 2 ? seed : pad;
                y[b * n + i] = inside ? 0.95f : 0.05f;
            }
        }
        return (x, y);
    }
}
