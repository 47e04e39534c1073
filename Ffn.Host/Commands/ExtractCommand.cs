using System.CommandLine;
using Ffn.Host.Cli;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands;

/// <summary>`ffn extract SEG.npz OUT.npy`: FFN-PyTorch's extractor.py — the segmentation array as a plain .npy.</summary>
public static class ExtractCommand
{
    public static Command Create(CommandContext ctx)
    {
        var input = new Argument<string>("input") { Description = "An .npz written by ffn infer (or google/ffn / FFN-PyTorch)" };
        var output = new Argument<string>("output") { Description = ".npy to write" };
        var key = new Option<string>("--key") { Description = "Array to extract", DefaultValueFactory = _ => "segmentation" };
        var cmd = new Command("extract", "Write the segmentation array of an .npz result as .npy (FFN-PyTorch's extractor.py)") { input, output, key };
        cmd.SetAction(r =>
        {
            OutputDirectory.EnsureParent("output", r.GetValue(output)!);
            var arr = NpzFile.Read(r.GetValue(input)!, r.GetValue(key)!);
            NpyFile.Write(r.GetValue(output)!, arr);
            ctx.Out.WriteLine($"wrote {r.GetValue(output)} {arr.DType.ToString().ToLowerInvariant()} {arr.ShapeText}");
            return FfnCli.Ok;
        });
        return cmd;
    }
}
