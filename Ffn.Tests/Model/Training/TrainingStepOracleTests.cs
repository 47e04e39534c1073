using System.Globalization;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Model.Training;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Model.Training;

/// <summary>
/// Our training update (logits = seed + network, mean sigmoid cross-entropy, gradient clipping, SGD with momentum,
/// Adam) against Python PyTorch's own BCEWithLogits, clip_grad_value_ and torch.optim on the same weights and batch.
/// </summary>
[Trait("Category", "Numerics")]
[Trait("Purpose", "Training")]
public class TrainingStepOracleTests
{
    private const string Oracle = """
import sys, numpy as np, torch, torch.nn as nn
init, after, inp, lab, opt, lr, clip, steps, depth, feat = sys.argv[1:11]
lr, clip, steps, depth, feat = float(lr), float(clip), int(steps), int(depth), int(feat)
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
            x = x + getattr(self, f'conv{i}_b')(torch.relu(getattr(self, f'conv{i}_a')(torch.relu(x))))
        return self.conv_lom(torch.relu(x))
net = Google()
net.load_state_dict(torch.load(init))
x = torch.from_numpy(np.load(inp)); y = torch.from_numpy(np.load(lab))
o = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9) if opt == 'sgd' else torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
losses = []
for _ in range(steps):
    o.zero_grad()
    logits = x[:, 1:2] + net(x)
    loss = nn.BCEWithLogitsLoss()(logits, y)
    loss.backward()
    if clip > 0: torch.nn.utils.clip_grad_value_(net.parameters(), clip)
    o.step()
    losses.append(loss.item())
ours = torch.load(after)
diff = max((ours[k] - v).abs().max().item() for k, v in net.state_dict().items())
scale = max(v.abs().max().item() for v in net.state_dict().values())
moved = max((ours[k] - v).abs().max().item() for k, v in torch.load(init).items())
print(' '.join(f'{l:.9g}' for l in losses), diff, scale, moved)
""";

    [Theory]
    [InlineData("sgd", 0.05, 0.01, 4, 5, 2)]
    [InlineData("adam", 0.01, 0.0, 4, 5, 2)]
    [InlineData("adam", 0.01, 0.0, 16, 9, 4)] // channel counts where oneDNN runs its blocked AVX-512 kernels
    public void Three_updates_match_torch_optim(string opt, double lr, double clip, int features, int fov, int b)
    {
        using var dir = new TempDir();
        var cfg = new ModelConfig { Depth = 2, Features = features, FovSize = Vec3i.Fill(fov) };
        manual_seed(11);
        using var model = new ConvStack3D(cfg);
        ModelCheckpoint.Save(model, dir.File("init.pkl"));
        var rnd = new Random(5);
        int n = fov * fov * fov;
        var input = new float[b * 2 * n];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rnd.NextDouble() * 4 - 2);
        var labels = new float[b * n];
        for (int i = 0; i < labels.Length; i++) labels[i] = rnd.Next(2) == 1 ? 0.95f : 0.05f;
        NpyFile.Write(dir.File("x.npy"), NdArray.Create(input, b, 2, fov, fov, fov));
        NpyFile.Write(dir.File("y.npy"), NdArray.Create(labels, b, 1, fov, fov, fov));

        var options = new TrainingOptions { Optimizer = opt == "sgd" ? OptimizerKind.Sgd : OptimizerKind.Adam, Momentum = 0.9, LearningRate = lr };
        using var optimizer = TrainingOptimizer.For(model, options);
        var ours = new List<double>();
        for (int i = 0; i < 3; i++)
            ours.Add(Trainer.Update(model, optimizer, input, labels, [b, 2, fov, fov, fov], lr, clip, CPU).Loss);
        ModelCheckpoint.Save(model, dir.File("after.pkl"));

        var ci = CultureInfo.InvariantCulture;
        var outp = PythonOracle.Run(Oracle, dir.File("init.pkl"), dir.File("after.pkl"), dir.File("x.npy"), dir.File("y.npy"), opt,
            lr.ToString(ci), clip.ToString(ci), "3", "2", features.ToString(ci)).Trim().Split(' ').Select(v => double.Parse(v, ci)).ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(outp[i], ours[i], 5);
        Assert.True(outp[5] > 1e-3, $"the updates barely moved the weights ({outp[5]})"); // the comparison below means something
        Assert.True(outp[3] < 1e-5 * Math.Max(1, outp[4]), $"weights after 3 updates differ from torch.optim by {outp[3]}");
    }
}
