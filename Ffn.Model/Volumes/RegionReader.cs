using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes;

/// <summary>
/// A box of another volume seen as a volume of its own (what a run over a region of interest writes out): box b of
/// this reader is box b + region.Start of the inner one. Disposes the inner reader.
/// </summary>
public sealed class RegionReader : IVolumeReader
{
    private readonly IVolumeReader _inner;
    private readonly Box3 _region;

    public RegionReader(IVolumeReader inner, Box3 region)
    {
        if (!inner.Info.Box.Contains(region)) throw new InputException($"{inner.Source}: region {region} lies outside the volume of shape {inner.Info.Shape}");
        _inner = inner;
        _region = region;
        Info = inner.Info with { Shape = region.Size };
    }

    public string Source => $"{_inner.Source} [{Blocks.RegionOfInterest.Format(_region)}]";
    public VolumeInfo Info { get; }

    public Volume Read(Box3 box)
    {
        var v = _inner.Read(box.Translate(_region.Start));
        v.Offset = box.Start;
        return v;
    }

    public void Dispose() => _inner.Dispose();
}
