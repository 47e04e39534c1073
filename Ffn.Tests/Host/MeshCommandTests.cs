using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn mesh RUN_DIR`: writes the Neuroglancer legacy mesh folder (info, manifests, fragments) for every object or the
/// ids given, largest first; a second invocation reuses the cache; bad input is one line and exit 2.
/// </summary>
public class MeshCommandTests
{
    private static string Run(TempDir tmp)
    {
        var v = new Volume<uint>(new Vec3i(20, 24, 28));
        MeshFixtures.Ball(v, 4, (10, 12, 9), 6);
        MeshFixtures.Capsule(v, 9, (3, 3, 3), (16, 20, 25), 2.5);
        MeshFixtures.Ball(v, 2, (16, 4, 24), 2);
        return MeshFixtures.WriteRun(tmp.File("run"), v, new Vec3i(8, 8, 8), new Vec3i(8, 8, 8));
    }

    [Fact]
    public void Writes_info_manifests_and_fragments_and_a_second_run_reuses_them()
    {
        using var tmp = new TempDir();
        var run = Run(tmp);
        var r = Cli.Run("mesh", run, "--block-size", "8");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Matches(@"^meshed 3 object\(s\) at level 0 \(3 built, 0 cached\): \d+ triangles, \d+ vertices, \d+ bytes in [\d.]+ s -> ", r.Out);
        Assert.Matches(@"largest mesh: object (4|9), \d+ triangles, \d+ bytes", r.Out);
        var meshes = Path.Combine(run, "meshes");
        Assert.Equal("{\"@type\": \"neuroglancer_legacy_mesh\"}\n", File.ReadAllText(Path.Combine(meshes, "info")));
        var fragments = new Dictionary<string, DateTime>();
        foreach (var id in new[] { 2, 4, 9 })
        {
            Assert.Equal($"{{\"fragments\": [\"{id}.frag\"]}}\n", File.ReadAllText(Path.Combine(meshes, $"{id}:0")));
            var frag = Path.Combine(meshes, $"{id}.frag");
            Assert.True(new FileInfo(frag).Length > 4);
            fragments[frag] = File.GetLastWriteTimeUtc(frag);
        }
        Assert.True(File.Exists(Path.Combine(meshes, "index.json")));

        var again = Cli.Run("mesh", run);
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Contains("(0 built, 3 cached)", again.Out);
        foreach (var (frag, time) in fragments) Assert.Equal(time, File.GetLastWriteTimeUtc(frag));
    }

    [Fact]
    public void Ids_level_and_max_objects_choose_what_is_meshed()
    {
        using var tmp = new TempDir();
        var run = Run(tmp);
        var r = Cli.Run("mesh", run, "--max-objects", "1");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("meshed 1 object(s) at level 0 (1 built", r.Out);
        Assert.True(File.Exists(Path.Combine(run, "meshes", "4:0")));   // the largest
        Assert.False(File.Exists(Path.Combine(run, "meshes", "9:0")));

        r = Cli.Run("mesh", run, "--ids", "9,2", "--level", "1", "--smooth", "0");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("meshed 2 object(s) at level 1 (2 built, 0 cached)", r.Out);
        Assert.False(File.Exists(Path.Combine(run, "meshes", "4:0")));   // level 0's meshes went with the new stamp
        Assert.Contains("\"level\": 1", File.ReadAllText(Path.Combine(run, "meshes", "stamp.json")));
    }

    [Theory]
    [InlineData("--ids", "99", "--ids: no object 99 in the segmentation at level 0 (3 objects)")]
    [InlineData("--ids", "4,x", "--ids 4,x: 'x' is not an object id (a positive integer)")]
    [InlineData("--ids", "0", "--ids 0: '0' is not an object id (a positive integer)")]
    [InlineData("--level", "7", "--level 7: the segmentation has levels 0 to 2")]
    [InlineData("--level", "-1", "--level must be >= 0, got -1")]
    [InlineData("--block-size", "0", "--block-size must be >= 1, got 0")]
    public void Bad_flags_are_one_line_and_exit_2(string flag, string value, string message)
    {
        using var tmp = new TempDir();
        var run = Run(tmp);
        var r = Cli.Run("mesh", run, flag, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"ffn: error: {message}", Assert.Single(r.ErrLines));
    }

    [Fact]
    public void A_run_without_final_result_zarr_is_one_line_and_exit_2()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp.File("run"));
        var r = Cli.Run("mesh", tmp.File("run"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no final_result.zarr segmentation", Assert.Single(r.ErrLines));
        r = Cli.Run("mesh", tmp.File("nowhere"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no such run directory", Assert.Single(r.ErrLines));
    }
}
