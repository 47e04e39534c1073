using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>`ffn model import` checks its flags before it writes, writes the .pkl and its sidecar both or neither, and only inside --out.</summary>
public class ModelImportTests
{
    [Theory]
    [InlineData("--image-mean", "NaN")]
    [InlineData("--image-mean", "Infinity")]
    [InlineData("--image-stddev", "-Infinity")]
    [InlineData("--image-stddev", "NaN")]
    public void NonFiniteNumbersAreRefusedBeforeAnythingIsWritten(string flag, string value)
    {
        using var tmp = new TempDir();
        var r = Cli.Run("model", "import", CheckpointIntegrityTests.SamplePkl, "--out", tmp.Path, "--name", "nm", flag, value);
        // The parser refuses it, as every float flag of every command.
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Equal([$"ffn model import: {flag} must be a finite float32 number, got {value}", "Run 'ffn model import --help' for usage."], r.ErrLines);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }

    [Fact]
    public void ASidecarIsNeverWrittenWithAValueItCannotReadBack()
    {
        using var tmp = new TempDir();
        using var model = ModelCheckpoint.Load(CheckpointIntegrityTests.SamplePkl);
        var path = tmp.File("m.pkl");
        var e = Assert.Throws<InputException>(() => ModelCheckpoint.Save(model, path, model.Config with { PadValue = double.NaN }));
        Assert.Contains("pad value must be a finite number", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));

        ModelCheckpoint.Save(model, path, model.Config with { ImageMean = 91.25 });
        Assert.Equal(91.25, ModelConfig.TryLoadSidecar(path)!.ImageMean);
    }

    [Theory]
    [InlineData("x.json")]
    [InlineData("x.pkl")]
    public void BothFilesOrNeither(string blocked)
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File(blocked));
        var r = Cli.Run("model", "import", CheckpointIntegrityTests.SamplePkl, "--out", tmp.Path, "--name", "x");
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.Contains($"{tmp.File(blocked)}: is a directory", r.Err);
        Assert.Equal([tmp.File(blocked)], Directory.GetFileSystemEntries(tmp.Path));
    }

    [Theory]
    [InlineData("../../escaped")]
    [InlineData("sub/name")]
    [InlineData("")]
    [InlineData(" ")]
    public void ANameIsAFileName(string name)
    {
        using var tmp = new TempDir();
        var outDir = tmp.File("a/b");
        var r = Cli.Run("model", "import", CheckpointIntegrityTests.SamplePkl, "--out", outDir, "--name", name);
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.Contains($"--name '{name}': not a file name", r.Err);
        Assert.Empty(Directory.GetFiles(tmp.Path, "*", SearchOption.AllDirectories));
    }
}
