using System.Text.RegularExpressions;
using Ffn.Model.Network;

namespace Ffn.Model.Checkpoints;

/// <summary>
/// Parameter names across the three checkpoint worlds. Ours (= Google's layer names): <c>conv0_a.weight</c>,
/// <c>conv{i}_a.bias</c>, <c>conv_lom.weight</c>. FFN-PyTorch's DataParallel state_dict: <c>module.net.0</c> (conv0_a),
/// <c>net.1</c> (conv0_b), <c>net.{i+1}.conv_part.1|2</c> (conv{i}_a|b), <c>net.{depth+2}</c> (conv_lom; net.{depth+1}
/// is the parameterless ReLU). TensorFlow: <c>seed_update/conv0_a/weights|biases</c>.
/// </summary>
public static partial class CheckpointNames
{
    public const string DataParallelPrefix = "module.";

    /// <summary>Our name → FFN-PyTorch name (with the DataParallel prefix its train.py writes).</summary>
    public static string ToFfnPyTorch(string ours, int depth)
    {
        var (layer, param) = Split(ours);
        string net = layer switch
        {
            "conv0_a" => "net.0",
            "conv0_b" => "net.1",
            "conv_lom" => $"net.{depth + 2}",
            _ => ResidualRegex().Match(layer) is { Success: true } m
                ? $"net.{int.Parse(m.Groups[1].Value) + 1}.conv_part.{(m.Groups[2].Value == "a" ? 1 : 2)}"
                : throw new ArgumentException($"not a network parameter: {ours}"),
        };
        return $"{DataParallelPrefix}{net}.{param}";
    }

    /// <summary>FFN-PyTorch name (with or without "module.") → ours, or null if it is not one of its layers.</summary>
    public static string? FromFfnPyTorch(string key, int depth)
    {
        var k = key.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? key[DataParallelPrefix.Length..] : key;
        var m = FfnPyRegex().Match(k);
        if (!m.Success) return null;
        int n = int.Parse(m.Groups[1].Value);
        string param = m.Groups[4].Value;
        if (m.Groups[2].Success)
        {
            int part = int.Parse(m.Groups[3].Value);
            if (n < 2 || n > depth || part is not (1 or 2)) return null;
            return $"conv{n - 1}_{(part == 1 ? "a" : "b")}.{param}";
        }
        return n switch
        {
            0 => $"conv0_a.{param}",
            1 => $"conv0_b.{param}",
            _ when n == depth + 2 => $"conv_lom.{param}",
            _ => null,
        };
    }

    /// <summary>Depth implied by FFN-PyTorch keys: residual modules + 1.</summary>
    public static int FfnPyTorchDepth(IEnumerable<string> keys) =>
        keys.Select(k => FfnPyRegex().Match(k.StartsWith(DataParallelPrefix, StringComparison.Ordinal) ? k[DataParallelPrefix.Length..] : k))
            .Where(m => m.Success && m.Groups[2].Success).Select(m => m.Groups[1].Value).Distinct().Count() + 1;

    /// <summary>Depth implied by our (Google-style) keys: the largest residual index + 1.</summary>
    public static int GoogleDepth(IEnumerable<string> layerNames) =>
        layerNames.Select(n => ResidualRegex().Match(n)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max() + 1;

    /// <summary>Our name → TensorFlow variable name.</summary>
    public static string ToTensorFlow(string ours)
    {
        var (layer, param) = Split(ours);
        return $"seed_update/{layer}/{(param == "weight" ? "weights" : "biases")}";
    }

    public static bool LooksLikeFfnPyTorch(IEnumerable<string> keys) =>
        keys.Any(k => k is "net.0.weight" or "module.net.0.weight");

    public static bool LooksLikeOurs(IEnumerable<string> keys) => keys.Contains("conv0_a.weight");

    public static string KeyFor(NetworkVariant v, string ours, int depth) =>
        v == NetworkVariant.FfnPyTorch ? ToFfnPyTorch(ours, depth) : ours;

    private static (string Layer, string Param) Split(string ours)
    {
        int dot = ours.LastIndexOf('.');
        if (dot < 0) throw new ArgumentException($"not a parameter name: {ours}");
        return (ours[..dot], ours[(dot + 1)..]);
    }

    [GeneratedRegex(@"^conv([1-9][0-9]*)_([ab])$")]
    private static partial Regex ResidualRegex();

    [GeneratedRegex(@"^net\.([0-9]+)\.(conv_part\.([0-9]+)\.)?(weight|bias)$")]
    private static partial Regex FfnPyRegex();
}
