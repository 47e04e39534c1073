using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Training;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Training;

/// <summary>A run resumed from a checkpoint takes exactly the steps the uninterrupted run takes after it.</summary>
public class ResumeTests
{
    private static readonly TrainingOptions Options = new()
    {
        BatchSize = 3, FovSize = new Vec3i(5, 5, 5), Deltas = new Vec3i(1, 1, 1), MoveThreshold = 0.3, SeedPad = 0.3, ImageMean = 600, ImageStddev = 300,
        Optimizer = OptimizerKind.Adam, LearningRate = 0.01, Seed = 9, PermuteZ = true, JitterScale = 0.1, JitterShift = 0.1, PrefetchBatches = 1,
    };

    [Fact]
    public void Resumed_run_matches_the_uninterrupted_one_exactly()
    {
        using var t = TrainingTestData.Create(seed: 2, count: 10);
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        manual_seed(4);
        var model = new ConvStack3D(new ModelConfig { Depth = 2, Features = 4, FovSize = Options.FovSize, Deltas = Options.Deltas });
        var lossesA = new List<double>();
        TrainingCheckpoint ck;
        Dictionary<string, float[]> weightsA;
        long ordinalsA;
        using (var a = new Trainer(model, t.Data, Options, CPU))
        {
            for (int i = 0; i < 5; i++) a.TrainStep();
            ck = a.SaveCheckpoint(dirA.Path);
            for (int i = 0; i < 5; i++) lossesA.Add(a.TrainStep());
            weightsA = Weights(a.Model);
            ordinalsA = a.NextOrdinal;
        }
        Assert.True(ordinalsA > 3, $"examples should finish and be replaced during the run ({ordinalsA} started)");
        Assert.Equal(5, ck.Step);
        foreach (var f in Directory.GetFiles(dirA.Path)) File.Copy(f, Path.Combine(dirB.Path, Path.GetFileName(f)));

        var found = TrainingCheckpoint.FindNewest(dirB.Path)!;
        Assert.Equal(5, found.Step);
        var state = found.ReadState();
        Assert.Contains(state.Slots, s => s is { MovesTried: > 1 }); // an example was mid-way through its moves
        var resumed = ModelCheckpoint.Load(found.ModelPath);
        Assert.Equal(5, resumed.Config.TrainingStep);
        var lossesB = new List<double>();
        using (var b = new Trainer(resumed, t.Data, Options, CPU, found))
        {
            Assert.Equal(5, b.Step);
            for (int i = 0; i < 5; i++) lossesB.Add(b.TrainStep());
            Assert.Equal(ordinalsA, b.NextOrdinal);
            var weightsB = Weights(b.Model);
            foreach (var (k, w) in weightsA) Assert.Equal(w, weightsB[k]);
        }
        Assert.Equal(lossesA, lossesB);
    }

    [Fact]
    public void Newest_complete_checkpoint_wins_and_incomplete_ones_are_ignored()
    {
        using var t = TrainingTestData.Create(seed: 2, count: 10);
        using var dir = new TempDir();
        manual_seed(4);
        var model = new ConvStack3D(new ModelConfig { Depth = 1, Features = 2 });
        using var a = new Trainer(model, t.Data, Options with { Optimizer = OptimizerKind.Sgd }, CPU);
        a.TrainStep();
        var first = a.SaveCheckpoint(dir.Path);
        a.TrainStep();
        var second = a.SaveCheckpoint(dir.Path);
        Assert.Equal(second.ModelPath, TrainingCheckpoint.FindNewest(dir.Path)!.ModelPath);
        File.Delete(second.StatePath); // as if killed before the last file of the checkpoint was renamed into place
        Assert.Equal(first.ModelPath, TrainingCheckpoint.FindNewest(dir.Path)!.ModelPath);
        Assert.DoesNotContain(Directory.GetFiles(dir.Path), f => Path.GetFileName(f).StartsWith('.'));
    }

    /// <summary>
    /// Weights that an update made non-finite are never written (a diverged run saved them, and every resume loaded
    /// them); the checkpoint before stays the newest.
    /// </summary>
    [Fact]
    public void Non_finite_weights_are_never_saved()
    {
        using var t = TrainingTestData.Create(seed: 2, count: 10);
        using var dir = new TempDir();
        manual_seed(4);
        var model = new ConvStack3D(new ModelConfig { Depth = 1, Features = 2 });
        using var a = new Trainer(model, t.Data, Options, CPU);
        a.TrainStep();
        var first = a.SaveCheckpoint(dir.Path);
        var files = Directory.GetFiles(dir.Path).Order().ToArray();
        a.TrainStep();
        using (no_grad()) a.Model.named_parameters().Single(p => p.name == "conv0_b.bias").parameter[1].fill_(float.PositiveInfinity);
        var e = Assert.Throws<TrainingDivergedException>(() => a.SaveCheckpoint(dir.Path));
        Assert.Equal(2, e.Step);
        Assert.Contains("conv0_b.bias is not finite", e.Message);
        Assert.Equal(files, Directory.GetFiles(dir.Path).Order().ToArray());
        Assert.Equal(first, TrainingCheckpoint.FindNewest(dir.Path));
    }

    private static Dictionary<string, float[]> Weights(ConvStack3D m) =>
        m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu().data<float>().ToArray());
}
