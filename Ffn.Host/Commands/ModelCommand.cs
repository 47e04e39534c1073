using System.CommandLine;
using Ffn.Host.Cli;

namespace Ffn.Host.Commands;

/// <summary>`ffn model import|info|forward`: bring in FFN-PyTorch and Google checkpoints, inspect and run them.</summary>
public static class ModelCommand
{
    public static Command Create(CommandContext ctx)
    {
        var cmd = new Command("model", "Import, inspect and run FFN checkpoints (ours, FFN-PyTorch .pkl, Google TensorFlow)");
        cmd.Subcommands.Add(ModelImportCommand.Create(ctx));
        cmd.Subcommands.Add(ModelInfoCommand.Create(ctx));
        cmd.Subcommands.Add(ModelForwardCommand.Create(ctx));
        return cmd;
    }
}
