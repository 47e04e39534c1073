using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>
/// The number format a network's weights and activations run in. Bf16 keeps float32's range with 8 mantissa bits;
/// oneDNN accumulates its convolutions in float32 and the logits leave the network as float32 either way.
/// </summary>
public enum Precision
{
    Fp32,
    Bf16,
}

public static class Precisions
{
    public static string Name(this Precision p) => p == Precision.Bf16 ? "bf16" : "fp32";

    public static ScalarType ScalarType(this Precision p) => p == Precision.Bf16 ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32;

    /// <summary>fp32 or bf16 (auto is resolved by <see cref="Runtime.PrecisionGuard"/>, not here).</summary>
    public static Precision Parse(string text, string flag = "--precision") => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => throw new InputException($"{flag} {text}: expected fp32, bf16 or auto"),
    };
}
