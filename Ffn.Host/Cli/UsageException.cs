namespace Ffn.Host.Cli;

/// <summary>A bad flag value or combination: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
