using System.Diagnostics;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Model.Checkpoints;
using Ffn.Tests.Model.Inference;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

public class InferCommandTests
{
    private static string[] InferArgs(string outDir) =>
    [
        "infer", "--image_path", TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5") + ":raw",
        "--model", CheckpointImportTests.GoogleCkpt, "--corner", "0,0,0", "--subvol_size", "64,96,96",
        "--seg_result_path", outDir, "--ckp_interval", "0.000001", "--keep-prob", "--threads", "2",
    ];

    /// <summary>
    /// The whole FFN-PyTorch inference workflow from raw EM: PolicyPeaks + Canvas with Google's FIB-25 weights, killed
    /// with SIGKILL mid-run and restarted, ends in google/ffn's own segmentation, which NumPy reads.
    /// </summary>
    [Fact]
    public void InferKilledAndRestartedReproducesGooglesSegmentation()
    {
        using var tmp = new TempDir();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ffn.dll"));
        foreach (var a in InferArgs(tmp.Path)) psi.ArgumentList.Add(a);
        var ckpt = tmp.File("seg_0_0_0.ckpt.npz");
        using (var p = Process.Start(psi)!)
        {
            p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEndAsync();
            // Kill once a checkpoint records at least 6 attempts (several objects done, more to come).
            var deadline = Stopwatch.StartNew();
            while (!p.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(15))
            {
                if (File.Exists(ckpt))
                {
                    try
                    {
                        if (NpzFile.Read(ckpt, "attempts").Shape[0] >= 6) break;
                    }
                    catch (IOException) { }
                }
                Thread.Sleep(200);
            }
            Assert.False(p.HasExited, "ffn infer finished before it could be killed");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.False(File.Exists(tmp.File("seg_0_0_0.npz")));

        var r = Cli.RunProcess(InferArgs(tmp.Path));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("resumed from a checkpoint", r.Out);
        Assert.Contains("14 objects", r.Out);
        Assert.False(File.Exists(ckpt));

        var seg = NpzFile.Read(tmp.File("seg_0_0_0.npz"), "segmentation").Get<uint>();
        var expected = GoogleInferenceVector.Instance.Segmentation;
        int diff = 0;
        for (int i = 0; i < seg.Length; i++) if (seg[i] != (uint)expected[i]) diff++;
        Assert.Equal(0, diff);

        var py = PythonOracle.Run("""
import sys, json, numpy as np
z = np.load(sys.argv[1])
s, o, p = z['segmentation'], z['origins'], z['prob']
info = json.load(open(sys.argv[1][:-4] + '.json'))
ids = np.unique(s[s > 0])
print(s.dtype, s.shape, len(ids), o.shape[0], int((ids == o[:, 0]).all()), int(((p > 0) == (s > 0)).all()), info['objects'], info['counters']['voxels-segmented'] == int((s > 0).sum()))
""", tmp.File("seg_0_0_0.npz")).Trim();
        Assert.Equal("uint32 (64, 96, 96) 14 14 1 1 14 True", py);

        var ex = Cli.Run("extract", tmp.File("seg_0_0_0.npz"), tmp.File("seg.npy"));
        Assert.True(ex.ExitCode == 0, ex.Err);
        Assert.Equal(seg, NpyFile.Read(tmp.File("seg.npy")).Get<uint>());
    }

    /// <summary>
    /// A float32 image with a NaN and an Inf voxel in the subvolume was "nothing to segment" with exit 0. It is now
    /// refused, naming the first one in volume coordinates; a non-finite voxel outside the subvolume does not matter.
    /// </summary>
    [Fact]
    public void NonFiniteVoxelsInTheSubvolumeAreRefused()
    {
        using var tmp = new TempDir();
        var synth = tmp.File("s.h5");
        Assert.Equal(0, Cli.Run("synth", synth, "--shape", "32,48,48", "--seed", "5").ExitCode);
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        string clean = tmp.File("clean.h5"), bad = tmp.File("bad.h5");
        FloatImageCopy.Write(synth, clean, (Vec3i.Zero, "nan")); // outside the subvolume below
        FloatImageCopy.Write(synth, bad, (Vec3i.Zero, "nan"), (new Vec3i(20, 30, 12), "inf"), (new Vec3i(9, 40, 30), "nan"));
        string[] Args(string vol, string dir) =>
            ["infer", "--image-path", vol + ":raw", "--model", model, "--corner", "4,8,8", "--subvol-size", "24,40,40", "--seg-result-path", dir,
             "--min-seg-size", "20", "--threads", "1"];

        var ok = Cli.Run(Args(clean, tmp.File("clean")));
        Assert.True(ok.ExitCode == 0, ok.Err);
        Assert.Contains(NpzFile.Read(tmp.File("clean/seg_4_8_8.npz"), "segmentation").Get<uint>(), v => v > 0);

        var r = Cli.Run(Args(bad, tmp.File("bad")));
        Assert.True(r.ExitCode == 2, r.Out + r.Err);
        Assert.Contains($"ffn: error: {bad}:raw: voxel (z,y,x) 9,40,30 is NaN (2 non-finite voxels in all)", r.Err);
        Assert.False(Directory.Exists(tmp.File("bad")), "the failed command left its output folder"); // nothing written, folder removed

        foreach (var (flag, value) in new[] { ("--image-mean", "-Infinity"), ("--image-stddev", "NaN"), ("--image-stddev", "0") })
        {
            var f = Cli.Run([.. Args(clean, tmp.File("flags")), flag, value]);
            Assert.True(f.ExitCode == 2, f.Err);
            Assert.Contains(value == "0" ? "ffn: error: --image-stddev must be > 0, got 0" : $"ffn: error: {flag} must be a finite float32 number, got {value}", f.Err);
        }
        Assert.False(Directory.Exists(tmp.File("flags")), "a refused flag left an output folder");
    }

    [Fact]
    public void BadInferInputsFailBeforeWork()
    {
        using var tmp = new TempDir();
        var img = TestData.SharedFile("testvectors", "inference_input_ts1_64x96x96.h5") + ":raw";
        var m = CheckpointImportTests.GoogleCkpt;
        var cases = new (string[] Args, string Expect)[]
        {
            (["infer", "--image-path", img, "--model", m, "--corner", "40,0,0", "--subvol-size", "40,40,40", "--seg-result-path", tmp.Path], "outside"),
            (["infer", "--image-path", img, "--model", m, "--corner", "0,0,0", "--subvol-size", "20,40,40", "--seg-result-path", tmp.Path], "FoV"),
            (["infer", "--image-path", img, "--model", m, "--fov-size", "17,17,17", "--seg-result-path", tmp.Path], "--fov-size"),
            (["infer", "--image-path", img, "--model", m, "--seg-threshold", "1.5", "--seg-result-path", tmp.Path], "seg-threshold"),
            (["infer", "--image-path", img, "--model", m, "--seed-policy", "Nope", "--seg-result-path", tmp.Path], "--seed-policy"),
            (["infer", "--image-path", tmp.File("none.h5") + ":raw", "--model", m, "--seg-result-path", tmp.Path], "none.h5"),
            (["infer", "--image-path", img, "--seg-result-path", tmp.Path], "--model"),
            (["infer", "--image-path", img, "--model", m, "--batch-canvases", "0", "--seg-result-path", tmp.Path], "--batch-canvases"),
            (["infer", "--image-path", img, "--model", m, "--diff-threshold", "NaN", "--seg-result-path", tmp.Path], "--diff-threshold must be a finite float32 number"),
            (["infer", "--image-path", img, "--model", m, "--disco-seed-threshold", "Infinity", "--seg-result-path", tmp.Path], "--disco-seed-threshold must be a finite float32 number"),
            (["extract", tmp.File("none.npz"), tmp.File("o.npy")], "none.npz"),
        };
        foreach (var (args, expect) in cases)
        {
            var r = Cli.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)} -> {r.ExitCode}: {r.Err}");
            Assert.Contains(expect, r.ErrLines[0]);
        }
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }
}
