using Ffn.Host.Cli;

return FfnCli.Run(args, Console.Out, Console.Error);
