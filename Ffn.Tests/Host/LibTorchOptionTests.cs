using System.Text.Json;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// --libtorch DIR: a build without the bundled libtorch runs the one in DIR (here: this build's own libtorch, moved
/// to a libtorch-zip-like folder), refuses another version or a folder without libtorch with one line, and says
/// what to do when it has none.
/// </summary>
public class LibTorchOptionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private static readonly Dictionary<string, string?> NoEnv = new() { [LibTorchSource.Variable] = null };

    [Fact]
    public void GooglesForwardRunsOnALibTorchFromAnotherFolderAndOnlyThatOneIsLoaded()
    {
        using var app = new AppWithoutLibTorch(buildVersion: "2.10.0+cpu");
        using var tmp = new TempDir();
        Assert.Equal(0, Cli.Run("model", "import", CheckpointImportTests.GoogleCkpt, "--out", tmp.Path, "--name", "fib25").ExitCode);
        var input = TestData.SharedFile("testvectors", "forward_input_1x2x33x33x33.npy");

        var fwd = Cli.RunProcessAt(app.Dll, NoEnv, Limit, "model", "forward", tmp.File("fib25.pkl"), "--input", input, "--output", tmp.File("y.npy"),
            "--threads", "2", "--libtorch", app.LibDir);
        Assert.True(fwd.ExitCode == 0, fwd.Err);
        var expected = NpyFile.Read(TestData.SharedFile("testvectors", "forward_expected_google_fib25.npy"));
        var (max, _) = CheckpointImportTests.Compare(NpyFile.Read(tmp.File("y.npy")).Get<float>(), expected.Get<float>());
        Assert.True(max <= 1e-3f, $"max abs error {max}");

        // The environment variable does the same; doctor reads /proc/self/maps: one libtorch_cpu.so, DIR's.
        var env = new Dictionary<string, string?> { [LibTorchSource.Variable] = app.LibDir };
        var doc = Cli.RunProcessAt(app.Dll, env, Limit, "doctor", "--json", "--python", "", "--self-check", "never");
        Assert.True(doc.ExitCode == 0, doc.Err);
        var lt = JsonDocument.Parse(doc.Out).RootElement.GetProperty("libtorch");
        var copies = lt.GetProperty("loaded_copies").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal([Path.Combine(app.LibDir, "libtorch_cpu.so")], copies);
        Assert.Equal(Path.Combine(app.LibDir, "libtorch_cpu.so"), lt.GetProperty("path").GetString());
        Assert.StartsWith("2.10", lt.GetProperty("version").GetString());
        Assert.Contains(LibTorchSource.Variable, lt.GetProperty("source").GetString());

        // Without DIR the same program says what it needs, in one line, before any network is built.
        var none = Cli.RunProcessAt(app.Dll, NoEnv, Limit, "model", "forward", tmp.File("fib25.pkl"), "--input", input, "--output", tmp.File("z.npy"));
        Assert.Equal(2, none.ExitCode);
        Assert.Single(none.ErrLines);
        Assert.Contains("carries no libtorch", none.Err);
        Assert.False(File.Exists(tmp.File("z.npy")));
    }

    [Fact]
    public void AnotherVersionOrAFolderWithoutLibTorchIsRefusedInOneLine()
    {
        // A libtorch of another release, told by its build-version file; nothing is loaded before the refusal.
        using var app = new AppWithoutLibTorch(buildVersion: "2.11.0+cu130");
        var other = Cli.RunProcessAt(app.Dll, NoEnv, Limit, "doctor", "--python", "", "--libtorch", app.LibDir);
        Assert.Equal(2, other.ExitCode);
        Assert.Single(other.ErrLines);
        Assert.Contains("libtorch 2.11.0+cu130 found", other.Err);
        Assert.Contains("needs libtorch 2.10.x", other.Err);

        using var empty = new TempDir();
        var notLib = Cli.RunProcessAt(app.Dll, NoEnv, Limit, "doctor", "--python", "", "--libtorch", empty.Path);
        Assert.Equal(2, notLib.ExitCode);
        Assert.Single(notLib.ErrLines);
        Assert.Contains("not a libtorch folder", notLib.Err);

        // The build that carries libtorch refuses a second one rather than loading two.
        var bundled = Cli.RunProcess(NoEnv, Limit, "doctor", "--python", "", "--libtorch", app.LibDir.Replace("2.11", "x"));
        Assert.Equal(2, bundled.ExitCode);
        Assert.Contains("carries its own CPU libtorch", bundled.Err);
    }

    [Fact]
    public void APythonInstallOfAnotherPyTorchIsRefusedByItsVersionFile()
    {
        // Debian's python3-torch (the tests' oracle, which .ci/run installs) is a real PyTorch install: torch/lib beside torch/version.py.
        const string lib = "/usr/lib/python3/dist-packages/torch/lib";
        var d = LibTorchDirectory.Inspect(lib, "test");
        Assert.Equal("/usr/lib/python3/dist-packages/torch/version.py", d.VersionFile);
        var pyVersion = PythonOracle.Run("import torch; print(torch.__version__)").Trim();
        Assert.Equal(pyVersion, d.Version);
        Assert.Equal(pyVersion.StartsWith("2.10.", StringComparison.Ordinal), LibTorchDirectory.Compatible(d.Version!));
    }

    [Theory]
    [InlineData("2.10.0", true)]
    [InlineData("2.10.1+cu128", true)]
    [InlineData("2.10.0a0+git1234", true)]
    [InlineData("2.1.0", false)]
    [InlineData("2.100.0", false)]
    [InlineData("2.11.0+cu130", false)]
    [InlineData("1.13.0a0", false)]
    [InlineData("garbage", false)]
    public void VersionsOfTheReleaseTorchSharpWasBuiltForAreAccepted(string version, bool ok) =>
        Assert.Equal(ok, LibTorchDirectory.Compatible(version));

    [Fact]
    public void TheBundledLibTorchIsTheReleaseTheCheckExpects()
    {
        // Guards the constant: updating the packages without it would refuse every matching --libtorch.
        Assert.True(LibTorchDirectory.Compatible(LibTorch.Version), $"bundled libtorch {LibTorch.Version}, expected {LibTorchDirectory.TorchSharpBuiltFor}.x");
    }
}
