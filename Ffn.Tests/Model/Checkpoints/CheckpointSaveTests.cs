using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Checkpoints;

/// <summary>Our checkpoints load in Python PyTorch into modules of the same layout and compute the same output.</summary>
public class CheckpointSaveTests
{
    // Independent Python definitions of both layouts, named as each world names them.
    private const string Oracle = """
import sys, json, numpy as np, torch, torch.nn as nn
ckpt, inp, out, arch, depth, feat = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])

class Google(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0_a = nn.Conv3d(2, feat, 3, padding=1)
        self.conv0_b = nn.Conv3d(feat, feat, 3, padding=1)
        for i in range(1, depth):
            setattr(self, f'conv{i}_a', nn.Conv3d(feat, feat, 3, padding=1))
            setattr(self, f'conv{i}_b', nn.Conv3d(feat, feat, 3, padding=1))
        self.conv_lom = nn.Conv3d(feat, 1, 1)
    def forward(self, x):
        x = self.conv0_b(torch.relu(self.conv0_a(x)))
        for i in range(1, depth):
            y = torch.relu(getattr(self, f'conv{i}_a')(torch.relu(x)))
            x = x + getattr(self, f'conv{i}_b')(y)
        return self.conv_lom(torch.relu(x))

class Res(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_part = nn.Sequential(nn.ReLU(), nn.Conv3d(feat, feat, 3, padding=1), nn.Conv3d(feat, feat, 3, padding=1))
    def forward(self, x):
        return x + self.conv_part(x)

class Basic(nn.Module):  # FFN-PyTorch's layout
    def __init__(self):
        super().__init__()
        layers = [nn.Conv3d(2, feat, 3, padding=1), nn.Conv3d(feat, feat, 3, padding=1)]
        layers += [Res() for _ in range(depth - 1)]
        layers += [nn.ReLU(), nn.Conv3d(feat, 1, 1)]
        self.net = nn.Sequential(*layers)
    def forward(self, x):
        return self.net(x)

sd = torch.load(ckpt, map_location='cpu')
if arch == 'google':
    m = Google()
else:
    m = nn.DataParallel(Basic())  # FFN-PyTorch saves DataParallel state_dicts: keys start with module.
m.load_state_dict(sd, strict=True)
m.eval()
with torch.no_grad():
    y = m(torch.from_numpy(np.load(inp)))
np.save(out, y.numpy())
print(len(sd), sorted(sd.keys())[0])
""";

    [Theory]
    [InlineData(NetworkVariant.Google, "google")]
    [InlineData(NetworkVariant.FfnPyTorch, "ffnpy")]
    public void PythonTorchLoadsOurCheckpointAndReproducesOurForward(NetworkVariant variant, string arch)
    {
        using var tmp = new TempDir();
        manual_seed(42);
        var config = new ModelConfig { Architecture = variant, Depth = 3, Features = 8, FovSize = new Vec3i(9, 11, 13), TrainingStep = 77 };
        var model = new ConvStack3D(config);
        var ckpt = tmp.File("1_77.pkl");
        ModelCheckpoint.Save(model, ckpt);
        Assert.True(File.Exists(ModelConfig.SidecarPath(ckpt)));

        var rnd = new Random(5);
        var x = new float[2 * 9 * 11 * 13];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rnd.NextDouble() * 4 - 2);
        long[] shape = [1, 2, 9, 11, 13];
        NpyFile.Write(tmp.File("x.npy"), NdArray.Create(x, shape));

        float[] ours;
        using (var p = new Predictor(model, CPU)) ours = p.Forward(x, shape);

        var printed = PythonOracle.Run(Oracle, ckpt, tmp.File("x.npy"), tmp.File("y.npy"), arch, "3", "8");
        Assert.Contains(variant == NetworkVariant.Google ? "conv0_a.bias" : "module.net.0.bias", printed);
        var theirs = NpyFile.Read(tmp.File("y.npy"));
        Assert.Equal([1L, 1, 9, 11, 13], theirs.Shape);
        var (max, _) = CheckpointImportTests.Compare(ours, theirs.Get<float>());
        Assert.True(max < 1e-5f, $"max abs difference {max}");

        // And it loads back here with its sidecar: same config, same output.
        var again = ModelCheckpoint.Load(ckpt);
        Assert.Equal(config with { Source = again.Config.Source }, again.Config);
        using var p2 = new Predictor(again, CPU);
        Assert.Equal(ours, p2.Forward(x, shape));
    }

    [Fact]
    public void SaveIsAtomicAndLeavesNoTemporaryFiles()
    {
        using var tmp = new TempDir();
        var model = new ConvStack3D(new ModelConfig { Depth = 2, Features = 4 });
        ModelCheckpoint.Save(model, tmp.File("a.pkl"));
        ModelCheckpoint.Save(model, tmp.File("a.pkl")); // overwrite in place
        Assert.Equal(["a.json", "a.pkl"], Directory.GetFiles(tmp.Path).Select(f => Path.GetFileName(f)!).Order().ToArray());
    }
}
