using Ffn.Model.Checkpoints;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Checkpoints;

/// <summary>
/// A damaged or foreign .pkl is refused with one line that says what the file is: zip CRCs are checked, weights must
/// be finite, and pickles that are not state_dicts are described (never run).
/// </summary>
public class CheckpointIntegrityTests
{
    /// <summary>The shipped FIB-25 checkpoint (ours: deflated zip members) and its sidecar beside it.</summary>
    public static string SamplePkl => Path.Combine(TestData.RepoRoot, "samples", "google-fib25", "fib25.pkl");

    // Zeroes 5000 bytes in the middle of the largest member's data; prints what Python's zipfile.testzip() finds.
    private const string Damage = """
import sys, shutil, struct, zipfile
src, dst, python_written = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
if python_written:
    import torch
    torch.save(torch.load(src), dst)  # stored (uncompressed) members, as FFN-PyTorch's files are
else:
    shutil.copy(src, dst)
big = max(zipfile.ZipFile(dst).infolist(), key=lambda i: i.compress_size)
data = bytearray(open(dst, 'rb').read())
name_len, extra_len = struct.unpack('<HH', data[big.header_offset + 26:big.header_offset + 30])  # the local header's
start = big.header_offset + 30 + name_len + extra_len + big.compress_size // 2 - 2500
data[start:start + 5000] = bytes(5000)
open(dst, 'wb').write(data)
print(zipfile.ZipFile(dst).testzip())
""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroedBytesFailTheZipCrcCheck(bool pythonWritten)
    {
        using var tmp = new TempDir();
        var pkl = tmp.File("damaged.pkl");
        var bad = PythonOracle.Run(Damage, SamplePkl, pkl, pythonWritten ? "1" : "0").Trim();
        Assert.NotEqual("None", bad);

        var e = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(pkl));
        Assert.Contains(pkl, e.Message);
        Assert.Contains($"member {bad} fails its CRC-32 check", e.Message);

        foreach (var args in new[]
                 {
                     new[] { "model", "info", pkl },
                     ["model", "forward", pkl, "--input", TestData.SharedFile("testvectors", "forward_input_1x2x33x33x33.npy"), "--output", tmp.File("y.npy")],
                 })
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{args[1]} -> {r.ExitCode}: {r.Err}");
            Assert.Single(r.ErrLines);
            Assert.Contains("CRC-32", r.Err);
        }
        Assert.False(File.Exists(tmp.File("y.npy")));
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("inf")]
    [InlineData("-inf")]
    public void NonFiniteWeightsAreACorruptCheckpoint(string value)
    {
        using var tmp = new TempDir();
        var pkl = tmp.File("nonfinite.pkl");
        var testzip = PythonOracle.Run("""
import sys, zipfile, torch
sd = torch.load(sys.argv[1])
sd['conv3_b.weight'][1, 2, 0, 1, 2] = float(sys.argv[3])
torch.save(sd, sys.argv[2])
print(zipfile.ZipFile(sys.argv[2]).testzip())
""", SamplePkl, pkl, value).Trim();
        Assert.Equal("None", testzip); // an intact zip: only the values are wrong

        var e = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(pkl));
        Assert.Contains(pkl, e.Message);
        Assert.Contains("conv3_b.weight holds NaN or Inf", e.Message);
    }

    [Fact]
    public void PicklesThatAreNotStateDictsAreDescribedAndNeverRun()
    {
        using var tmp = new TempDir();
        var marker = tmp.File("payload-ran");
        PythonOracle.Run("""
import sys, os, pickle, collections, torch
d = sys.argv[1]
pickle.dump({'conv0_a.weight': [1.0, 2.0]}, open(d + '/plain.pkl', 'wb'))
torch.save(collections.OrderedDict([('conv0_a.weight', torch.zeros(2, 2, 3, 3, 3))]), d + '/legacy.pkl', _use_new_zipfile_serialization=False)
class Payload:
    def __reduce__(self):
        return (os.system, ('touch ' + sys.argv[2],))
torch.save({'conv0_a.weight': torch.zeros(1), 'x': Payload()}, d + '/hostile.pkl')
torch.save(torch.nn.Conv3d(2, 2, 3), d + '/module.pkl')
torch.save([torch.zeros(3)], d + '/list.pkl')
""", tmp.Path, marker);
        var cases = new (string File, string Expect)[]
        {
            ("plain.pkl", "a Python pickle, not a PyTorch checkpoint"),
            ("legacy.pkl", "a legacy (pre-1.6) torch.save file"),
            ("hostile.pkl", "a PyTorch file holding Python objects other than tensors (posix.system), not a state_dict"),
            ("module.pkl", "a whole pickled PyTorch model, not a state_dict"),
            ("list.pkl", "a PyTorch file that holds no state_dict"),
        };
        foreach (var (file, expect) in cases)
        {
            var r = Cli.Run("model", "info", tmp.File(file));
            Assert.True(r.ExitCode == 2, $"{file} -> {r.ExitCode}: {r.Err}");
            Assert.Single(r.ErrLines);
            Assert.Contains($"{tmp.File(file)}: {expect}", r.Err);
            Assert.DoesNotContain("IObjectConstructor", r.Err);
        }
        Assert.False(File.Exists(marker), "the pickle's __reduce__ payload ran");
    }
}
