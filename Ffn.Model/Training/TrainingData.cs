using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Training;

/// <summary>
/// The image and label volumes training reads, held in memory as FFN-PyTorch's train.py holds them, and the training
/// coordinates resolved to them. Everything is checked before any training starts: names the coordinates use,
/// equal image and label shapes, and every example box (coordinate ± example radius) inside its volume.
/// </summary>
public sealed class TrainingData
{
    private readonly Volume<float>[] _images;
    private readonly Volume<long>[] _labels;
    private readonly int[] _volumeOfIndex;

    private TrainingData(TrainingCoordinates coords, Volume<float>[] images, Volume<long>[] labels, int[] volumeOfIndex, string[] names)
    {
        Coordinates = coords;
        _images = images;
        _labels = labels;
        _volumeOfIndex = volumeOfIndex;
        VolumeNames = names;
    }

    public TrainingCoordinates Coordinates { get; }
    public IReadOnlyList<string> VolumeNames { get; }
    public int Count => Coordinates.Count;

    /// <summary>The volumes of coordinate row <paramref name="row"/> and its (z, y, x) centre.</summary>
    public (Volume<float> Image, Volume<long> Labels, Vec3i Centre) this[int row]
    {
        get
        {
            int v = _volumeOfIndex[Coordinates.VolumeIndex(row)];
            return (_images[v], _labels[v], Coordinates[row]);
        }
    }

    /// <exception cref="InputException">a coordinate naming no volume, image/label shapes that differ, float labels, an
    /// example box that leaves its volume, or a NaN or Inf image voxel.</exception>
    public static TrainingData Load(string coordsPath, IReadOnlyList<NamedVolume> images, IReadOnlyList<NamedVolume> labels,
        Vec3i exampleSize, Action<string>? log = null)
    {
        var coords = TrainingCoordinates.Load(coordsPath);
        if (coords.Count == 0) throw new InputException($"{coordsPath}: no training coordinates");
        // The coordinate file's volume names (none: one volume, whatever its name) mapped to the given volumes.
        string[] wanted = coords.VolumeNames.Count > 0 ? [.. coords.VolumeNames] : [images.Count == 1 ? images[0].Name : ""];
        if (coords.VolumeNames.Count == 0 && images.Count != 1)
            throw new InputException($"{coordsPath}: names no volumes (one-volume coordinates), but --data-volumes gives {images.Count}");
        var imageSpecs = new NamedVolume[wanted.Length];
        var labelSpecs = new NamedVolume[wanted.Length];
        for (int i = 0; i < wanted.Length; i++)
        {
            imageSpecs[i] = images.FirstOrDefault(v => v.Name == wanted[i])
                ?? throw new InputException($"{coordsPath}: coordinates name volume '{wanted[i]}', which no --data-volumes entry has (given: {string.Join(", ", images.Select(v => v.Name))})");
            labelSpecs[i] = (labels.Count == 1 && coords.VolumeNames.Count == 0 ? labels[0] : labels.FirstOrDefault(v => v.Name == wanted[i]))
                ?? throw new InputException($"{coordsPath}: coordinates name volume '{wanted[i]}', which no --label-volumes entry has (given: {string.Join(", ", labels.Select(v => v.Name))})");
        }

        // Shapes first (headers only), so a mismatch is reported before gigabytes are read.
        var shapes = new Vec3i[wanted.Length];
        for (int i = 0; i < wanted.Length; i++)
        {
            Vec3i si, sl;
            using (var r = VolumeStore.OpenRead(imageSpecs[i].Spec)) si = r.Info.Shape;
            using (var r = VolumeStore.OpenRead(labelSpecs[i].Spec))
            {
                sl = r.Info.Shape;
                LabelDType.Require(r);
            }
            if (si != sl)
                throw new InputException($"--label-volumes {labelSpecs[i]}: shape {sl} (z,y,x) differs from --data-volumes {imageSpecs[i]} shape {si}");
            shapes[i] = si;
        }
        var radius = exampleSize / 2;
        for (int row = 0; row < coords.Count; row++)
        {
            var c = coords[row];
            var box = new Box3(c - radius, exampleSize);
            int v = coords.VolumeIndex(row);
            if (!Box3.FromShape(shapes[v]).Contains(box))
                throw new InputException($"{coordsPath}: row {row} (x,y,z) {c.Reversed()} lies within {radius.Reversed()} (x,y,z) of a face of {imageSpecs[v]} (shape z,y,x {shapes[v]}); " +
                    "rebuild the coordinates with --margin >= fov/2 + deltas");
        }

        var img = new Volume<float>[wanted.Length];
        var lab = new Volume<long>[wanted.Length];
        for (int i = 0; i < wanted.Length; i++)
        {
            log?.Invoke($"train: reading {imageSpecs[i]} and {labelSpecs[i]} ({shapes[i]} z,y,x)");
            var raw = VolumeStore.ReadAll(imageSpecs[i].Spec);
            NonFiniteVoxels.Require(imageSpecs[i].Spec.ToString(), raw);
            img[i] = raw.ConvertTo<float>();
            lab[i] = VolumeStore.ReadAll(labelSpecs[i].Spec).ConvertTo<long>();
        }
        return new TrainingData(coords, img, lab, [.. Enumerable.Range(0, wanted.Length)], wanted);
    }
}
