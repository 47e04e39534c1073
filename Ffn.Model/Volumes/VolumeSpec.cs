namespace Ffn.Model.Volumes;

/// <summary>
/// Where a volume lives: <c>path.h5:dataset</c> (also <c>path.h5:/group/dataset</c>), <c>path.npy</c>,
/// <c>path.npz:key</c> or <c>path.tif</c>. The single parser every command uses.
/// </summary>
public sealed record VolumeSpec(string Path, string? Dataset, VolumeFormat Format)
{
    private static readonly string[] Hdf5Ext = [".h5", ".hdf5", ".hdf", ".he5"];
    private static readonly string[] TiffExt = [".tif", ".tiff"];

    /// <summary>Parses a spec; <paramref name="defaultDataset"/> fills in a missing HDF5 dataset or npz key.</summary>
    public static VolumeSpec Parse(string text, string? defaultDataset = null)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new VolumeException("empty volume path");
        // The first "<known extension>:" splits file from dataset, so dataset paths may hold '/' (and the file ':').
        foreach (var ext in Hdf5Ext.Append(".npz"))
        {
            int at = text.IndexOf(ext + ":", StringComparison.OrdinalIgnoreCase);
            if (at < 0) continue;
            var path = text[..(at + ext.Length)];
            var ds = text[(at + ext.Length + 1)..];
            if (ds.Length == 0) throw new VolumeException($"{path}: empty dataset name after ':'");
            return new VolumeSpec(path, ds, ext == ".npz" ? VolumeFormat.Npz : VolumeFormat.Hdf5);
        }
        var format = FormatOf(text);
        if (format is VolumeFormat.Hdf5 or VolumeFormat.Npz && defaultDataset is null)
            throw new VolumeException($"{text}: name the dataset as {text}:DATASET");
        return new VolumeSpec(text, format is VolumeFormat.Hdf5 or VolumeFormat.Npz ? defaultDataset : null, format);
    }

    public static VolumeFormat FormatOf(string path)
    {
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (Hdf5Ext.Contains(ext)) return VolumeFormat.Hdf5;
        if (TiffExt.Contains(ext)) return VolumeFormat.Tiff;
        return ext switch
        {
            ".npy" => VolumeFormat.Npy,
            ".npz" => VolumeFormat.Npz,
            _ => throw new VolumeException(
                $"{path}: unknown volume format '{ext}' (expected .h5/.hdf5, .npy, .npz or .tif)"),
        };
    }

    public override string ToString() => Dataset is null ? Path : $"{Path}:{Dataset}";
}
