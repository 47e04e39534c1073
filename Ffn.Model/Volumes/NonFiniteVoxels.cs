using System.Globalization;
using System.Numerics;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes;

/// <summary>
/// The rule for images that ffn normalizes, feeds to a network or summarizes: every voxel must be finite. One NaN
/// or Inf voxel makes every FoV that sees it, and every statistic, NaN, so results would come out silently empty;
/// instead the command stops with one line naming the first such voxel and how many there are. Only float volumes
/// are scanned: integer ones cannot hold non-finite values, so uint8 EM costs nothing.
/// </summary>
public sealed class NonFiniteVoxels(string source)
{
    private long _count;
    private Vec3i _first;
    private double _firstValue;

    /// <summary>Scans one piece of the volume (its Offset places it); pieces may come in any order.</summary>
    public void Add(Volume piece)
    {
        switch (piece)
        {
            case Volume<float> f: Scan(f.Data, piece); break;
            case Volume<double> d: Scan(d.Data, piece); break;
        }
    }

    /// <exception cref="InputException">some voxel added so far is NaN or infinite.</exception>
    public void ThrowIfAny()
    {
        if (_count == 0) return;
        string all = _count == 1 ? "the only non-finite voxel" : $"{_count} non-finite voxels in all";
        throw new InputException(string.Create(CultureInfo.InvariantCulture,
            $"{source}: voxel (z,y,x) {_first} is {_firstValue} ({all}); ffn needs finite intensities: replace them (e.g. with 0 or the image mean) and rerun"));
    }

    /// <summary>Refuses a volume in memory that holds a NaN or Inf voxel.</summary>
    public static void Require(string source, Volume volume)
    {
        var check = new NonFiniteVoxels(source);
        check.Add(volume);
        check.ThrowIfAny();
    }

    /// <summary>Refuses a volume on disk that holds a NaN or Inf voxel, read in z slabs of about 16 Mvoxels.</summary>
    public static void Require(IVolumeReader reader, IProgress<string>? progress = null)
    {
        var info = reader.Info;
        if (!info.DType.IsFloat() || info.Shape.Product == 0) return;
        var check = new NonFiniteVoxels(reader.Source);
        long plane = Math.Max(1L, (long)info.Shape.Y * info.Shape.X);
        int slabZ = (int)Math.Clamp((16L << 20) / plane, 1, info.Shape.Z);
        var meter = new ProgressMeter($"checking {reader.Source} for NaN and Inf", "slices", info.Shape.Z, progress);
        foreach (var slab in info.Box.Tiles(new Vec3i(slabZ, info.Shape.Y, info.Shape.X)))
        {
            check.Add(reader.Read(slab));
            meter.Add(slab.Size.Z);
        }
        check.ThrowIfAny();
    }

    private void Scan<T>(T[] data, Volume piece) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long first = -1, count = 0;
        for (long i = 0; i < data.LongLength; i++)
        {
            if (T.IsFinite(data[i])) continue;
            if (first < 0) first = i;
            count++;
        }
        if (count == 0) return;
        var s = piece.Shape;
        var at = piece.Offset + new Vec3i((int)(first / ((long)s.Y * s.X)), (int)(first / s.X % s.Y), (int)(first % s.X));
        if (_count == 0 || Before(at, _first))
        {
            _first = at;
            _firstValue = double.CreateTruncating(data[first]);
        }
        _count += count;
    }

    private static bool Before(Vec3i a, Vec3i b) => a.Z != b.Z ? a.Z < b.Z : a.Y != b.Y ? a.Y < b.Y : a.X < b.X;
}
