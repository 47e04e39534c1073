using System.Net;
using System.Text.Json.Nodes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn view` as a user runs it: one URL on stdout whose Neuroglancer state names the run's sources at its voxel
/// size, the sources answering at that address, and SIGTERM (Ctrl-C) ending it with exit 0. A run without the zarr
/// output is served from its HDF5 result and input as zarr made on the fly.
/// </summary>
public class ViewCommandTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static string MakeRun(TempDir tmp, string outputs)
    {
        var input = tmp.File("vol.h5");
        Assert.Equal(0, Cli.Run("synth", input, "--shape", "24,40,44", "--seed", "5").ExitCode);
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        var run = tmp.File("run");
        var r = Cli.Run("run", "--input", input + ":raw", "--model", model, "--output", run, "--block-shape", "24,20,22", "--min-seg-size", "20",
            "--workers", "1", "--threads", "1", "--voxel-size", "8,6,6", "--zarr-chunks", "8,16,16", "--report", "false", "--outputs", outputs);
        Assert.True(r.ExitCode == 0, r.Err);
        return run;
    }

    private static (Uri Base, JsonObject State) Parse(string url)
    {
        int hash = url.IndexOf("#!", StringComparison.Ordinal);
        Assert.True(hash > 0, url);
        return (new Uri(url[..hash]), JsonNode.Parse(Uri.UnescapeDataString(url[(hash + 2)..]))!.AsObject());
    }

    [Theory]
    [InlineData("h5,zarr", "data/final_result.zarr/", "data/final_result.zarr/labels/segmentation/", "data/final_result.zarr/labels/segmentation/0/.zarray")]
    [InlineData("h5", "vol/em/", "vol/seg/", "vol/seg/0/.zarray")]
    public async Task Prints_one_url_whose_sources_answer_and_stops_on_sigterm(string outputs, string em, string seg, string probe)
    {
        using var tmp = new TempDir();
        var run = MakeRun(tmp, outputs);
        using var view = new FfnProcess("view", "view", run);
        var url = view.WaitForLine(l => l.StartsWith("http://127.0.0.1:", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var (baseUri, state) = Parse(url);
        var layers = state["layers"]!.AsArray();
        Assert.Equal("zarr://" + baseUri + em, (string)layers[0]!["source"]!);
        Assert.Equal("image", (string)layers[0]!["type"]!);
        Assert.Equal("segmentation", (string)layers[1]!["type"]!);
        Assert.Equal("zarr://" + baseUri + seg, (string)layers[1]!["source"]![0]!);
        Assert.Equal(8e-9, (double)state["dimensions"]!["z"]![0]!, 12);
        Assert.Equal(6e-9, (double)state["dimensions"]!["x"]![0]!, 12);
        Assert.Equal(22.5, (double)state["position"]![0]!); // x centre of 44 voxels

        var meta = await Http.GetAsync(new Uri(baseUri, probe));
        Assert.Equal(HttpStatusCode.OK, meta.StatusCode);
        var zarray = JsonNode.Parse(await meta.Content.ReadAsStringAsync())!;
        Assert.Equal("[24,40,44]", zarray["shape"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(baseUri, em + ".zattrs"))).StatusCode);
        if (outputs.Contains("zarr"))
        {
            // The mesh source: info, then an object's manifest and its fragment, made on this first request.
            Assert.Equal($"precomputed://{baseUri}mesh", (string)layers[1]!["source"]![1]!);
            var info = JsonNode.Parse(await Http.GetStringAsync(new Uri(baseUri, "mesh/info")))!;
            Assert.Equal("neuroglancer_legacy_mesh", (string)info["@type"]!);
            using var labels = Ffn.Model.Volumes.VolumeStore.OpenRead(new Ffn.Model.Volumes.VolumeSpec(Path.Combine(run, "final_result.h5"), "segmentation", Ffn.Model.Volumes.VolumeFormat.Hdf5));
            var ids = ((Ffn.Model.Volumes.Volume<uint>)labels.Read(labels.Info.Box)).Data;
            uint id = ids.Where(v => v != 0).GroupBy(v => v).MaxBy(g => g.Count())!.Key;
            var manifest = JsonNode.Parse(await Http.GetStringAsync(new Uri(baseUri, $"mesh/{id}:0")))!;
            var fragment = await Http.GetByteArrayAsync(new Uri(baseUri, "mesh/" + (string)manifest["fragments"]![0]!));
            uint vertices = BitConverter.ToUInt32(fragment, 0);
            Assert.True(vertices > 8, $"object {id}: {vertices} vertices");
            Assert.Equal(0, (fragment.Length - 4 - vertices * 12) % 12); // whole triangles of uint32 indices follow
            Assert.True(File.Exists(Path.Combine(run, "meshes", $"{id}.frag")), "the mesh is cached in RUN_DIR/meshes");
            Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(new Uri(baseUri, "mesh/999999:0"))).StatusCode);
        }

        FfnProcess.Terminate(view);
        Assert.True(view.WaitForExit(TimeSpan.FromSeconds(30)), view.Log);
        Assert.Equal(0, view.ExitCode);
    }

    [Fact]
    public void Bad_arguments_are_one_line()
    {
        using var tmp = new TempDir();
        var r = Cli.Run("view", tmp.File("no-such-run"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no such run directory", r.Err);
        r = Cli.Run("view", tmp.Path, "--port", "70000");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--port 70000", r.Err);
        r = Cli.Run("view", tmp.Path, "--host", "some-host-name"); // never widened to every interface
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--host some-host-name: give an IP address", r.Err);
    }
}
