using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Checkpoints;

/// <summary>Checkpoints of FFN-PyTorch and Google load unchanged and reproduce the reference forward passes.</summary>
public class CheckpointImportTests
{
    private static readonly string Input = TestData.SharedFile("testvectors", "forward_input_1x2x33x33x33.npy");
    public static string GoogleCkpt => Path.Combine(TestData.Shared, "data", "google-fib25", "model.ckpt-27465036");
    public static string FfnPyCkpt => TestData.SharedFile("data", "ffnpy", "9409951_5200000.pkl");

    internal static (float MaxAbs, float MeanAbs) Compare(float[] got, float[] expected)
    {
        Assert.Equal(expected.Length, got.Length);
        float max = 0;
        double sum = 0;
        for (int i = 0; i < got.Length; i++)
        {
            float d = Math.Abs(got[i] - expected[i]);
            max = Math.Max(max, d);
            sum += d;
        }
        return (max, (float)(sum / got.Length));
    }

    private static float[] RunForward(ConvStack3D model)
    {
        var input = NpyFile.Read(Input);
        using var p = new Predictor(model, CPU);
        return p.Forward(input.Get<float>(), input.Shape);
    }

    [Fact]
    public void GoogleTensorFlowCheckpointReproducesReferenceForward()
    {
        var model = ModelCheckpoint.Load(GoogleCkpt);
        Assert.Equal(NetworkVariant.Google, model.Config.Architecture);
        Assert.Equal(12, model.Config.Depth);
        Assert.Equal(32, model.Config.Features);
        Assert.Equal(27465036, model.Config.TrainingStep);
        var expected = NpyFile.Read(TestData.SharedFile("testvectors", "forward_expected_google_fib25.npy"));
        var (max, mean) = Compare(RunForward(model), expected.Get<float>());
        Assert.True(max <= 1e-3f, $"max abs error {max}, mean {mean}");
    }

    [Fact]
    public void FfnPyTorchPklReproducesReferenceForward()
    {
        var model = ModelCheckpoint.Load(FfnPyCkpt);
        Assert.Equal(NetworkVariant.FfnPyTorch, model.Config.Architecture);
        Assert.Equal(12, model.Config.Depth);
        var expected = NpyFile.Read(TestData.SharedFile("testvectors", "forward_expected_ffnpy_9409951_5200000.npy"));
        var (max, mean) = Compare(RunForward(model), expected.Get<float>());
        Assert.True(max <= 1e-3f, $"max abs error {max}, mean {mean}");
    }

    [Fact]
    public void TensorFlowIndexListsEveryVariableWithItsShape()
    {
        var ckpt = TfCheckpointReader.Open(GoogleCkpt + ".index");
        Assert.Equal([3L, 3, 3, 2, 32], ckpt["seed_update/conv0_a/weights"].Shape);
        Assert.Equal([1L, 1, 1, 32, 1], ckpt["seed_update/conv_lom/weights"].Shape);
        Assert.Contains(ckpt["global_step"].DType, new[] { TfCheckpointReader.TfDType.Int32, TfCheckpointReader.TfDType.Int64 });
        for (int i = 1; i <= 11; i++) Assert.True(ckpt.Contains($"seed_update/conv{i}_b/biases"));
        // Every tensor's CRC-32C verifies.
        foreach (var e in ckpt.Entries) Assert.Equal(e.Size, ckpt.ReadBytes(e).Length);
    }

    [Fact]
    public void CorruptTensorBytesFailTheCrcCheck()
    {
        using var tmp = new TempDir();
        var prefix = tmp.File("model.ckpt-1");
        File.Copy(GoogleCkpt + ".index", prefix + ".index");
        var data = File.ReadAllBytes(GoogleCkpt + ".data-00000-of-00001");
        var entry = TfCheckpointReader.Open(GoogleCkpt)["seed_update/conv3_a/weights"];
        data[entry.Offset + 100] ^= 0x40;
        File.WriteAllBytes(prefix + ".data-00000-of-00001", data);
        var e = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(prefix));
        Assert.Contains("CRC", e.Message);
        Assert.Contains("conv3_a", e.Message);
    }

    [Fact]
    public void BadCheckpointsGiveOneLineErrorsNamingTheFile()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("notes.txt"), "not a checkpoint at all");
        Assert.Contains("unknown checkpoint format", Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(tmp.File("notes.txt"))).Message);

        var bytes = File.ReadAllBytes(FfnPyCkpt);
        File.WriteAllBytes(tmp.File("cut.pkl"), bytes[..(bytes.Length / 2)]);
        var cut = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(tmp.File("cut.pkl")));
        Assert.Contains("cut.pkl", cut.Message);

        // Right file, wrong architecture: 16 features requested for 32-feature weights.
        var wrong = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(FfnPyCkpt,
            new ModelConfig { Architecture = NetworkVariant.FfnPyTorch, Depth = 12, Features = 16 }));
        Assert.Contains("expected [16,2,3,3,3]", wrong.Message);
        Assert.Contains("9409951_5200000.pkl", wrong.Message);

        var missing = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(tmp.File("none.pkl")));
        Assert.Contains("none.pkl", missing.Message);
        Assert.IsAssignableFrom<InputException>(missing);
    }
}
