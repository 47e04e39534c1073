using System.Text;
using Ffn.Model.Geometry;
using Ffn.Model.Inference.SeedPolicies;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.Inference;

/// <summary>
/// A subvolume's in-progress state between objects (google/ffn's inference checkpoint): the segmentation, the
/// seed attempts, the counters and the seed list position, as NAME.ckpt.npz beside the result. A killed run
/// resumes from it inside a long subvolume; it is deleted once the result is written.
/// </summary>
public static class InferenceCheckpoint
{
    public static string PathFor(SubvolumeRequest r) => Path.Combine(r.OutputDir, r.Name + ".ckpt.npz");

    public static void Save(SubvolumeRequest req, Canvas canvas, ISeedPolicy seeds, int resumeAt)
    {
        var attempts = canvas.Attempts.SelectMany(a => new long[] { a.Seed.Z, a.Seed.Y, a.Seed.X, a.Outcome, a.Voxels, a.NetworkEvaluations }).ToArray();
        // Seeds from resumeAt on have been read (and counted) already: resume by proposing them again.
        var saved = Counters.FromJson(canvas.Counters.ToJson());
        saved.Increment(Counters.SeedsProposed, resumeAt - seeds.Position);
        var counters = Encoding.UTF8.GetBytes(saved.ToJson());
        var arrays = new Dictionary<string, NdArray>
        {
            ["segmentation"] = NdArray.FromVolume(canvas.Segmentation),
            ["attempts"] = NdArray.Create(attempts, attempts.Length / 6, 6),
            ["seed_position"] = NdArray.Create(new long[] { resumeAt, seeds.Candidates.Count }, 2),
            ["counters_json"] = NdArray.Create(counters, counters.Length),
        };
        if (canvas.Probability is { } prob) arrays["prob"] = NdArray.FromVolume(prob);
        NpzFile.Write(PathFor(req), arrays);
    }

    /// <summary>Restores the canvas and the seed position from the checkpoint, if there is one.</summary>
    public static bool TryRestore(SubvolumeRequest req, Canvas canvas, ISeedPolicy seeds)
    {
        var path = PathFor(req);
        if (!File.Exists(path)) return false;
        var a = NpzFile.ReadAll(path);
        var seg = a["segmentation"].ToVolume(path).As<int>();
        if (seg.Shape != canvas.Shape) throw new InputException($"{path}: checkpoint of shape {seg.Shape} does not match the subvolume {canvas.Shape}; delete it");
        var att = a["attempts"].Get<long>();
        var attempts = Enumerable.Range(0, att.Length / 6).Select(i => new SeedAttempt(
            new Vec3i((int)att[6 * i], (int)att[6 * i + 1], (int)att[6 * i + 2]), (int)att[6 * i + 3], att[6 * i + 4], (int)att[6 * i + 5]));
        var counters = Counters.FromJson(Encoding.UTF8.GetString(a["counters_json"].Get<byte>()));
        var pos = a["seed_position"].Get<long>();
        if (pos[1] != seeds.Candidates.Count)
            throw new InputException($"{path}: checkpoint was made with {pos[1]} seed candidates, now {seeds.Candidates.Count}; delete it");
        canvas.Restore(seg, counters, attempts, a.TryGetValue("prob", out var prob) ? prob.ToVolume(path).As<byte>() : null);
        seeds.Position = (int)pos[0];
        return true;
    }
}
