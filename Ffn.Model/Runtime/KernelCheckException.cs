namespace Ffn.Model.Runtime;

/// <summary>No CPU kernel configuration computes our networks correctly on this machine.</summary>
public sealed class KernelCheckException(string message) : Exception(message);
