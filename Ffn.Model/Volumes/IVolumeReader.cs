using Ffn.Model.Geometry;

namespace Ffn.Model.Volumes;

/// <summary>An open 3D volume: its header, and any box of it read without reading the rest (where the format allows).</summary>
public interface IVolumeReader : IDisposable
{
    string Source { get; }
    VolumeInfo Info { get; }

    /// <summary>Reads <paramref name="box"/> (which must lie inside the volume); the result's Offset is box.Start.</summary>
    Volume Read(Box3 box);
}
