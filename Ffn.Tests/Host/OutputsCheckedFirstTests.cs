using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// An output that cannot be written is found before any work: exit 2, one line naming the flag and the user's path.
/// Read-only folders do not stop root (as the tests may run), so the unwritable place is /proc/self, which nobody can
/// create files in, and the inputs are missing files that any work would trip over first.
/// </summary>
public class OutputsCheckedFirstTests
{
    [Theory]
    [InlineData("extract")]
    [InlineData("model-import")]
    [InlineData("model-forward")]
    [InlineData("model-forward-dir")]
    public void AnUnwritableOutputIsReportedBeforeTheInputsAreRead(string command)
    {
        using var tmp = new TempDir();
        var (args, flag, shown) = command switch
        {
            "extract" => (new[] { "extract", tmp.File("missing.npz"), "/proc/self/seg.npy" }, "output", "/proc/self/seg.npy"),
            "model-import" => (["model", "import", tmp.File("missing.pkl"), "--out", "/proc/self/models"], "--out", "/proc/self/models"),
            "model-forward" => (["model", "forward", tmp.File("missing.pkl"), "--input", tmp.File("missing.npy"), "--output", "/proc/self/y.npy"],
                "--output", "/proc/self/y.npy"),
            _ => (["model", "forward", tmp.File("missing.pkl"), "--input", tmp.File("missing.npy"), "--output", tmp.Path], "--output", tmp.Path),
        };
        var r = Cli.Run(args);
        Assert.True(r.ExitCode == 2, $"{r.ExitCode}: {r.Err}");
        Assert.Single(r.ErrLines);
        Assert.StartsWith($"ffn: error: {flag} {shown}: ", r.Err);
        Assert.DoesNotContain("missing", r.Err);
        Assert.DoesNotContain(".ffn-write-test", r.Err); // our probe file is not the user's business
    }
}
