namespace Ffn.Model.Volumes;

/// <summary>
/// Where a volume lives: <c>path.h5:dataset</c> (also <c>path.h5:/group/dataset</c>), <c>path.npy</c>,
/// <c>path.npz:key</c>, <c>path.tif</c>, or a Zarr v2 array: <c>path.zarr</c> (an array), <c>path.zarr:array</c> or
/// <c>path.zarr/array</c> (an array in a group). The single parser every command uses.
/// </summary>
public sealed record VolumeSpec(string Path, string? Dataset, VolumeFormat Format)
{
    private static readonly string[] Hdf5Ext = [".h5", ".hdf5", ".hdf", ".he5"];
    private static readonly string[] TiffExt = [".tif", ".tiff"];

    /// <summary>Parses a spec; <paramref name="defaultDataset"/> fills in a missing HDF5 dataset or npz key.</summary>
    public static VolumeSpec Parse(string text, string? defaultDataset = null)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new VolumeException("empty volume path");
        // A zarr store is a folder: what follows ".zarr" (after ':' or '/') names an array inside it.
        int z = text.IndexOf(".zarr", StringComparison.OrdinalIgnoreCase);
        if (z >= 0 && (z + 5 == text.Length || text[z + 5] is ':' or '/' or '\\'))
        {
            var store = text[..(z + 5)];
            var inner = text[(z + 5)..].TrimStart(':', '/', '\\').TrimEnd('/', '\\');
            return new VolumeSpec(store, inner.Length == 0 ? null : inner, VolumeFormat.Zarr);
        }
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
        var ext = System.IO.Path.GetExtension(path.TrimEnd('/', '\\')).ToLowerInvariant();
        if (ext == ".zarr") return VolumeFormat.Zarr;
        if (Hdf5Ext.Contains(ext)) return VolumeFormat.Hdf5;
        if (TiffExt.Contains(ext)) return VolumeFormat.Tiff;
        return ext switch
        {
            ".npy" => VolumeFormat.Npy,
            ".npz" => VolumeFormat.Npz,
            _ => throw new VolumeException(
                $"{path}: unknown volume format '{ext}' (expected .h5/.hdf5, .npy, .npz, .tif or .zarr)"),
        };
    }

    public override string ToString() => Dataset is null ? Path : $"{Path}:{Dataset}";
}
