using static TorchSharp.torch;

namespace Ffn.Model.Network;

/// <summary>Finds NaN or Inf in named tensors: weights and optimizer state must stay finite to be saved or used.</summary>
public static class FiniteTensors
{
    /// <summary>The name of the first floating-point tensor holding a NaN or Inf, or null when all are finite.</summary>
    public static string? FirstNonFinite(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, t) in tensors)
            if (t.is_floating_point() && !isfinite(t).all().item<bool>()) return name;
        return null;
    }
}
