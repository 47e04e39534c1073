using Ffn.Model;
using Ffn.Model.Blocks;
using Ffn.Model.Inference;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Blocks;

/// <summary>
/// Which paths a node with data roots serves, judged against a tree of real folders and symbolic links: a link out
/// of a root, and a ".." after a link (which the kernel takes from the link's target, not from where the link is).
/// </summary>
public sealed class DataRootsTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private readonly string _root, _secret;

    public DataRootsTests()
    {
        _root = Directory.CreateDirectory(_tmp.File("root")).FullName;
        _secret = Directory.CreateDirectory(_tmp.File("secret")).FullName;
        Directory.CreateDirectory(Path.Combine(_secret, "deep"));
        File.WriteAllText(Path.Combine(_root, "in.h5"), "");
        File.WriteAllText(Path.Combine(_secret, "key.h5"), "");
        Directory.CreateDirectory(Path.Combine(_root, "runs"));
        File.CreateSymbolicLink(Path.Combine(_root, "out"), Path.Combine(_secret, "deep"));  // leads out
        File.CreateSymbolicLink(Path.Combine(_root, "here"), "runs");                       // stays in, relative
    }

    private static SegmentationSettings Reading(string image) =>
        new() { Image = new VolumeSpec(image, "raw", VolumeFormat.Hdf5), ModelPath = image, Deltas = Vec3i.One };

    [Fact]
    public void Paths_are_judged_where_they_really_lead()
    {
        var roots = new DataRoots([_root]);
        string root = _root, sep = Path.DirectorySeparatorChar.ToString();
        // Served: plain paths beneath the root, a run folder not made yet, a link that stays inside.
        foreach (var ok in new[] { $"{root}/in.h5", $"{root}/runs/new/run1", $"{root}/here/run2", $"{root}/runs/../in.h5" })
            Assert.Null(roots.Refusal(Reading($"{root}/in.h5"), ok.Replace("/", sep)));
        // Refused: outside by name, through a link, and "out/.." (the link's target's parent: the secret folder).
        foreach (var bad in new[] { $"{_secret}/run", $"{root}/out/run", $"{root}/out/../key.h5", $"{root}/../secret/run", $"{root}x/run" })
        {
            var why = roots.Refusal(Reading($"{root}/in.h5"), bad.Replace("/", sep));
            Assert.NotNull(why);
            Assert.StartsWith($"--output {bad.Replace("/", sep)}", why);
            Assert.EndsWith($"outside the data roots ({RealPath.Of(root)})", why);
        }
        Assert.Equal(Path.Combine(_secret, "key.h5"), RealPath.Of($"{root}/out/../key.h5"));
        Assert.StartsWith("--input ", roots.Refusal(Reading($"{root}/out/../key.h5"), $"{root}/runs/r"));
        Assert.Throws<InputException>(() => new DataRoots([_tmp.File("missing")]));
    }

    [Fact]
    public void A_worker_makes_no_processor_for_a_run_outside_its_roots()
    {
        var roots = new DataRoots([_root]);
        int made = 0;
        var guarded = roots.Guard((_, _, _) => { made++; return null!; });
        guarded(Reading(Path.Combine(_root, "in.h5")), Path.Combine(_root, "runs", "r"), "cpu");
        var e = Assert.Throws<InputException>(() => guarded(Reading(Path.Combine(_root, "out", "..", "key.h5")), Path.Combine(_root, "runs", "r"), "cpu"));
        Assert.StartsWith("--input ", e.Message);
        Assert.Equal(1, made);
    }

    public void Dispose() => _tmp.Dispose();
}
