using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ffn.Model.Network;

/// <summary>
/// The two layouts of the convstack_3d network that users bring weights for. They differ in exactly two ReLUs:
/// <list type="bullet">
/// <item><see cref="Google"/> (google/ffn convstack_3d): conv0_a → ReLU → conv0_b; each residual module is
///   x → ReLU → conv_a → <b>ReLU</b> → conv_b → + x; then ReLU → conv_lom (1x1x1).</item>
/// <item><see cref="FfnPyTorch"/> (FFN-PyTorch models/basic_model_11.py): conv0_a → conv0_b with <b>no</b> ReLU between
///   them; each residual module is x → ReLU → conv_a → conv_b (<b>no</b> ReLU between them) → + x; then ReLU → the
///   1x1x1 conv. Its state_dict names the layers net.0, net.1, net.{2..}.conv_part.{1,2}, net.{depth+2}.</item>
/// </list>
/// </summary>
public enum NetworkVariant
{
    Google,
    FfnPyTorch,
}

public static class NetworkVariants
{
    public static string Name(this NetworkVariant v) => v switch
    {
        NetworkVariant.Google => "convstack_3d",
        NetworkVariant.FfnPyTorch => "ffnpy_basic",
        _ => throw new ArgumentOutOfRangeException(nameof(v)),
    };

    public static NetworkVariant Parse(string name) => name switch
    {
        "convstack_3d" or "google" => NetworkVariant.Google,
        "ffnpy_basic" or "ffnpy" or "basic_model_11" => NetworkVariant.FfnPyTorch,
        _ => throw new InputException($"unknown network architecture '{name}' (expected convstack_3d or ffnpy_basic)"),
    };

    /// <summary>ReLU after conv0_a (Google) or not (FFN-PyTorch).</summary>
    public static bool ReluAfterFirstConv(this NetworkVariant v) => v == NetworkVariant.Google;

    /// <summary>ReLU between the two convs of a residual module (Google) or not (FFN-PyTorch).</summary>
    public static bool ReluInsideResidual(this NetworkVariant v) => v == NetworkVariant.Google;
}

/// <summary>Writes the architecture by its checkpoint-world name (convstack_3d, ffnpy_basic).</summary>
public sealed class NetworkVariantJsonConverter : JsonConverter<NetworkVariant>
{
    public override NetworkVariant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return NetworkVariants.Parse(reader.GetString() ?? "");
        }
        catch (InputException e)
        {
            throw new JsonException(e.Message);
        }
    }

    public override void Write(Utf8JsonWriter writer, NetworkVariant value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name());
}
