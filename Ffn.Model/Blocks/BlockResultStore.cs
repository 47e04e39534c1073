using System.Text.Json;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.Blocks;

/// <summary>
/// The block results of a run directory (DIR/blocks/seg_z_y_x.npz + .json). The rename of the .json, written
/// last, is the commit: a block with both files is done, whatever happened to the process that wrote them.
/// </summary>
public sealed class BlockResultStore(string runDir)
{
    public string RunDir { get; } = runDir;
    public string BlocksDir => Path.Combine(RunDir, "blocks");

    public string ResultPath(BlockSpec b) => Path.Combine(BlocksDir, b.Name + ".npz");
    public string InfoPath(BlockSpec b) => Path.Combine(BlocksDir, b.Name + ".json");

    public bool IsCommitted(BlockSpec b) => File.Exists(ResultPath(b)) && File.Exists(InfoPath(b));

    public IReadOnlyDictionary<string, long>? ReadCounters(BlockSpec b)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(InfoPath(b)));
            if (!doc.RootElement.TryGetProperty("counters", out var c)) return null;
            return c.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The block's labels over its label box (block-local ids), read from its committed result.</summary>
    public Volume<uint> LoadSeg(BlockSpec b)
    {
        var path = ResultPath(b);
        var seg = NpzFile.Read(path, "segmentation").ToVolume(path);
        if (seg.Shape != b.Read.Size)
            throw new VolumeException($"{path}: segmentation of shape {seg.Shape} does not cover the block's read box {b.Read}");
        seg.Offset = b.Read.Start;
        var crop = seg.Crop(b.LabelBox);
        return crop switch
        {
            Volume<uint> u => u,
            Volume<ulong> l => Narrow(l, path),
            _ => throw new VolumeException($"{path}: segmentation has dtype {crop.DType.Name()}, expected uint32 or uint64"),
        };
    }

    private static Volume<uint> Narrow(Volume<ulong> v, string path)
    {
        var u = new Volume<uint>(v.Shape, v.Offset);
        for (long i = 0; i < v.Length; i++)
            u.Data[i] = v.Data[i] <= uint.MaxValue ? (uint)v.Data[i] : throw new VolumeException($"{path}: more than 2^32 objects in one block");
        return u;
    }
}
