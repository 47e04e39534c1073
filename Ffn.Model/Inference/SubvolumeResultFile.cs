using System.Text.Json;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.Inference;

/// <summary>
/// A subvolume's result as google/ffn and FFN-PyTorch write it: seg_z_y_x.npz ('segmentation' uint32, or uint64
/// past 2^32 objects, markers removed; 'origins'; 'prob' when kept) and seg_z_y_x.json (counters and settings),
/// each written atomically, the .json last.
/// </summary>
public static class SubvolumeResultFile
{
    public static void Write(SubvolumeRequest req, Canvas canvas, string path)
    {
        var seg = canvas.Segmentation;
        long max = 0;
        foreach (var v in seg.Data) max = Math.Max(max, v);
        var arrays = new Dictionary<string, NdArray>();
        if (max <= uint.MaxValue)
        {
            var u = new uint[seg.Length];
            for (long i = 0; i < u.LongLength; i++) u[i] = (uint)Math.Max(seg.Data[i], 0);
            arrays["segmentation"] = NdArray.Create(u, seg.Shape.Z, seg.Shape.Y, seg.Shape.X);
        }
        else
        {
            var u = new ulong[seg.Length];
            for (long i = 0; i < u.LongLength; i++) u[i] = (ulong)Math.Max(seg.Data[i], 0);
            arrays["segmentation"] = NdArray.Create(u, seg.Shape.Z, seg.Shape.Y, seg.Shape.X);
        }
        var origins = canvas.Origins.OrderBy(kv => kv.Key).SelectMany(kv =>
            new long[] { kv.Key, kv.Value.Seed.Z, kv.Value.Seed.Y, kv.Value.Seed.X, kv.Value.NetworkEvaluations, kv.Value.Voxels }).ToArray();
        arrays["origins"] = NdArray.Create(origins, origins.Length / 6, 6);
        if (canvas.Probability is { } prob) arrays["prob"] = NdArray.FromVolume(prob);
        NpzFile.Write(path, arrays);
        var s = req.Settings;
        var info = new
        {
            image = s.Image.ToString(),
            corner_zyx = req.Box.Start.ToArray(),
            size_zyx = req.Box.Size.ToArray(),
            image_mean = s.ImageMean,
            image_stddev = s.ImageStddev,
            auto_normalize = s.AutoNormalize,
            options = s.Options,
            deltas_zyx = s.Deltas.ToArray(),
            seed_policy = s.SeedPolicy,
            seed_region_start_zyx = req.SeedRegion?.Start.ToArray(),
            seed_region_size_zyx = req.SeedRegion?.Size.ToArray(),
            batch_canvases = s.BatchCanvases,
            objects = canvas.Origins.Count,
            counters = canvas.Counters.Values,
        };
        AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
    }
}
