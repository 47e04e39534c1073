using Ffn.Model.Geometry;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Model.Volumes.Npy;
using Ffn.Model.Volumes.Tiff;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Model.Volumes;

/// <summary>Opens any supported volume spec for reading; the one entry point commands use.</summary>
public static class VolumeStore
{
    public static IVolumeReader OpenRead(VolumeSpec spec)
    {
        if (spec.Format == VolumeFormat.Zarr) return OpenZarr(spec);
        if (!File.Exists(spec.Path)) throw new VolumeException($"{spec.Path}: no such file");
        return spec.Format switch
        {
            VolumeFormat.Hdf5 => Hdf5VolumeReader.Open(spec.Path, spec.Dataset!),
            VolumeFormat.Npy => NpyVolumeReader.Open(spec.Path),
            VolumeFormat.Npz => new InMemoryVolumeReader(spec.ToString(), NpzFile.Read(spec.Path, spec.Dataset!).ToVolume(spec.ToString())),
            VolumeFormat.Tiff => TiffVolumeReader.Open(spec.Path),
            _ => throw new VolumeException($"{spec}: unsupported format"),
        };
    }

    private static IVolumeReader OpenZarr(VolumeSpec spec)
    {
        if (!Directory.Exists(spec.Path)) throw new VolumeException($"{spec.Path}: no such zarr store");
        var dir = spec.Dataset is null ? spec.Path : Path.Combine(spec.Path, spec.Dataset.Replace('/', Path.DirectorySeparatorChar));
        if (ZarrGroup.IsArray(dir)) return ZarrVolumeReader.Open(dir, spec.ToString());
        if (Directory.Exists(dir) && (ZarrGroup.IsGroup(dir) || ZarrGroup.Arrays(dir).Count > 0))
        {
            var arrays = ZarrGroup.Arrays(dir);
            throw new VolumeException($"{spec}: a zarr group, not an array; name one as {spec}{(spec.Dataset is null ? ":" : "/")}ARRAY" +
                (arrays.Count > 0 ? $" (it holds {string.Join(", ", arrays)})" : " (it holds no arrays)"));
        }
        throw new VolumeException($"{spec}: no zarr array there (no {ZarrArrayMeta.FileName})");
    }

    public static IVolumeReader OpenRead(string spec, string? defaultDataset = null) =>
        OpenRead(VolumeSpec.Parse(spec, defaultDataset));

    public static Volume ReadAll(VolumeSpec spec)
    {
        using var r = OpenRead(spec);
        return r.Read(r.Info.Box);
    }
}

/// <summary>A volume already in memory (e.g. an .npz member, which cannot be read in parts) behind the reader interface.</summary>
public sealed class InMemoryVolumeReader(string source, Volume volume) : IVolumeReader
{
    public string Source { get; } = source;
    public VolumeInfo Info { get; } = new(volume.Shape, volume.DType);

    public Volume Read(Box3 box)
    {
        if (!Info.Box.Contains(box)) throw new VolumeException($"{Source}: box {box} lies outside the volume {Info.Shape}");
        var v = volume.Crop(box.Translate(volume.Offset));
        v.Offset = box.Start;
        return v;
    }

    public void Dispose() { }
}
