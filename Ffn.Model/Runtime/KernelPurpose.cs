namespace Ffn.Model.Runtime;

/// <summary>
/// What a process runs its network for, and so which self-check cases its kernels must pass: inference runs only
/// forward passes, training every kernel. Kept apart because a fault can sit in backward kernels alone (oneDNN's
/// backward-data pass on a Zen 5 EPYC), and inference should not pay for a slower fallback it never needs.
/// </summary>
public enum KernelPurpose
{
    Inference,
    Training,
}

public static class KernelPurposes
{
    public static string Name(this KernelPurpose purpose) => purpose == KernelPurpose.Inference ? "inference" : "training";

    /// <summary>
    /// Whether <paramref name="purpose"/> runs the kernel a case checks: inference only the forward cases
    /// (convolutions and ReLU; the loss is computed in training alone). A name may end in a note in parentheses.
    /// </summary>
    public static bool Needs(this KernelPurpose purpose, KernelCaseResult c) =>
        purpose == KernelPurpose.Training || c.Name.Split(" (")[0].EndsWith(" forward", StringComparison.Ordinal);

    /// <summary>Whether kernels checked for <paramref name="purpose"/> are right for <paramref name="other"/> as well.</summary>
    public static bool Covers(this KernelPurpose purpose, KernelPurpose other) => purpose == KernelPurpose.Training || other == KernelPurpose.Inference;
}
