using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using static TorchSharp.torch;

namespace Ffn.Tests.Support;

/// <summary>Small networks with hand-set weights for pipeline tests that need real, fast, meaningful inference.</summary>
public static class TestModels
{
    /// <summary>
    /// A convstack whose logit update is gain * normalized image + bias: the canvas then flood-fills connected
    /// bright voxels (synthetic cells are brighter than membranes and extracellular space), so runs produce real
    /// objects in a fraction of a second per block. More <paramref name="features"/> (all zero) segment the same but
    /// make each forward pass slower.
    /// </summary>
    public static string BrightObjects(string path, double gain = 10, double bias = -5, int fov = 9, int delta = 2, int features = 4)
    {
        var cfg = new ModelConfig { Depth = 2, Features = features, FovSize = Vec3i.Fill(fov), Deltas = Vec3i.Fill(delta), ImageMean = 128, ImageStddev = 33 };
        using var m = new ConvStack3D(cfg);
        using (no_grad())
        {
            var p = m.named_parameters().ToDictionary(x => x.name, x => x.parameter);
            foreach (var t in p.Values) t.zero_();
            p["conv0_a.weight"][0, 0, 1, 1, 1].fill_(1.0);   // channel 0: relu(image)
            p["conv0_a.weight"][1, 0, 1, 1, 1].fill_(-1.0);  // channel 1: relu(-image)
            p["conv0_b.weight"][0, 0, 1, 1, 1].fill_(1.0);
            p["conv0_b.weight"][1, 1, 1, 1, 1].fill_(1.0);
            p["conv_lom.weight"][0, 0, 0, 0, 0].fill_(gain);
            p["conv_lom.weight"][0, 1, 0, 0, 0].fill_(-gain);
            p["conv_lom.bias"].fill_(bias);
        }
        ModelCheckpoint.Save(m, path, cfg);
        return path;
    }
}
