using Ffn.Model.Volumes;

namespace Ffn.Model.DataPrep;

/// <summary>
/// One partition volume for build-coordinates: <c>NAME:PATH.h5:dataset</c> as google/ffn's --partition_volumes
/// entries. NAME labels the volume for training (it must match the trainer's volume names).
/// </summary>
public sealed record CoordinateSource(string Name, VolumeSpec Volume)
{
    private static readonly string[] VolumeExtensions = [".h5", ".hdf5", ".hdf", ".he5", ".npy", ".npz", ".tif", ".tiff"];

    /// <exception cref="InputException">no NAME: prefix, an empty name, or a bad volume spec.</exception>
    public static CoordinateSource Parse(string text)
    {
        int colon = text.IndexOf(':');
        var name = colon < 0 ? "" : text[..colon].Trim();
        // "vol.h5:ds" alone would otherwise read as name "vol.h5" and volume "ds".
        if (name.Length == 0 || colon == text.Length - 1 || VolumeExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            throw new InputException($"'{text}': expected NAME:PATH.h5:dataset (NAME is the volume's name for training)");
        try
        {
            return new CoordinateSource(name, VolumeSpec.Parse(text[(colon + 1)..].Trim()));
        }
        catch (VolumeException e)
        {
            throw new InputException($"'{text}': {e.Message}", e);
        }
    }

    public override string ToString() => $"{Name}:{Volume}";
}
