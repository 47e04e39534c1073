using System.Text.Json;
using Ffn.Model.Blocks;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Tests.Support;

/// <summary>
/// A block processor for pipeline tests: the "segmentation" of a block is the ground truth over its read box,
/// renumbered by first appearance, so each block has its own local ids as a canvas would and stitching has real
/// work to do. Written in the same files and layout as SubvolumeRunner. Faults can be injected per call.
/// </summary>
public sealed class GroundTruthBlockProcessor(Volume<uint> labels, BlockResultStore store, Func<BlockSpec, int, CancellationToken, bool>? fault = null)
    : IBlockProcessor
{
    private static int _calls;
    private static readonly Dictionary<(string, int), int> Attempts = [];

    public static int Calls => _calls;

    public BlockOutcome Process(BlockSpec block, CancellationToken cancel)
    {
        Interlocked.Increment(ref _calls);
        int attempt;
        lock (Attempts)
        {
            var key = (store.RunDir, block.Index);
            attempt = Attempts[key] = Attempts.GetValueOrDefault(key) + 1;
        }
        if (fault != null && fault(block, attempt, cancel)) throw new InvalidOperationException($"injected fault in block {block.Index}, call {attempt}");
        var crop = labels.Crop(block.Read);
        var map = new Dictionary<uint, uint>();
        var seg = new uint[crop.Length];
        for (long i = 0; i < seg.LongLength; i++)
        {
            uint v = crop.Data[i];
            if (v == 0) continue;
            if (!map.TryGetValue(v, out var id)) map[v] = id = (uint)map.Count + 1;
            seg[i] = id;
        }
        Directory.CreateDirectory(store.BlocksDir);
        var path = store.ResultPath(block);
        NpzFile.Write(path, new Dictionary<string, NdArray> { ["segmentation"] = NdArray.Create(seg, crop.Shape.Z, crop.Shape.Y, crop.Shape.X) });
        var counters = new Dictionary<string, long> { ["objects"] = map.Count };
        AtomicFile.WriteAllText(store.InfoPath(block), JsonSerializer.Serialize(new { counters }));
        return new BlockOutcome(path, map.Count, counters, 0);
    }

    public void Dispose() { }
}
