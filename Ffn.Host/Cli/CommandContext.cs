using Ffn.Host.Config;

namespace Ffn.Host.Cli;

/// <summary>What every command needs: its output streams and the HOCON defaults behind its flags.</summary>
public sealed record CommandContext(TextWriter Out, TextWriter Err, FfnConfig Config)
{
    /// <summary>Progress lines go to stderr so stdout stays machine-readable.</summary>
    public IProgress<string> Progress => new SyncProgress(Err);

    private sealed class SyncProgress(TextWriter w) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (w) w.WriteLine(value);
        }
    }
}
