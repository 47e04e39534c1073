using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.Checkpoints;
using Ffn.Model.Network;
using Ffn.Model.Runtime;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands;

/// <summary>`ffn model forward CKPT --input X.npy --output Y.npy`: one forward pass, for interop checks and debugging.</summary>
public static class ModelForwardCommand
{
    public static Command Create(CommandContext ctx)
    {
        var ckpt = new Argument<string>("checkpoint") { Description = "Any supported checkpoint" };
        var input = new Option<string>("--input") { Description = ".npy float32 [n, 2, z, y, x] (image, seed logits) or [2, z, y, x]", Required = true };
        var output = new Option<string>("--output") { Description = ".npy to write the [n, 1, z, y, x] logit update to", Required = true };
        var torchFlags = new TorchFlags(ctx);
        var c = new Command("forward", "Run one forward pass on an .npy input (interop checks and debugging)") { ckpt, input, output };
        torchFlags.AddTo(c);
        c.SetAction(r =>
        {
            var inPath = r.GetValue(input)!;
            var outPath = r.GetValue(output)!;
            OutputDirectory.EnsureParent("--output", outPath);
            var dev = torchFlags.Prepare(r, KernelPurpose.Inference);
            var x = NpyFile.Read(inPath);
            if (x.DType != DType.Float32)
                throw new InputException($"{inPath}: expected float32, found {x.DType.Name()}");
            long[] shape = x.Rank switch
            {
                5 => x.Shape,
                4 => [1, .. x.Shape],
                _ => throw new InputException($"{inPath}: expected shape [n, 2, z, y, x] or [2, z, y, x], found {x.ShapeText}"),
            };
            if (shape[1] != 2) throw new InputException($"{inPath}: expected 2 channels (image, seed logits), found {shape[1]} in {x.ShapeText}");
            if (x.Count == 0) throw new InputException($"{inPath}: empty input {x.ShapeText}: every dimension must be at least 1");
            using var p = new Predictor(ModelCheckpoint.Load(r.GetValue(ckpt)!), dev);
            var y = p.Forward(x.Get<float>(), shape);
            NpyFile.Write(outPath, NdArray.Create(y, shape[0], 1, shape[2], shape[3], shape[4]));
            ctx.Out.WriteLine($"wrote {outPath} [{shape[0]}, 1, {shape[2]}, {shape[3]}, {shape[4]}]");
            return FfnCli.Ok;
        });
        return c;
    }
}
