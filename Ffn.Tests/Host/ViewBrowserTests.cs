using System.Text.Json.Nodes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn view` in a real browser (Debian's Chromium, headless, software WebGL): the printed URL loads the embedded
/// client with no internet, Neuroglancer reports every layer loaded, and the screenshot holds EM greys and several
/// segment colours in the slice panels; with an object selected (in the URL state) and the slices hidden in 3D, its
/// mesh fills part of the 3D panel, which stays empty with nothing selected.
/// </summary>
[Trait("Category", "Browser")]
public class ViewBrowserTests
{
    [Fact]
    public async Task The_printed_url_shows_the_em_and_the_segments()
    {
        using var tmp = new TempDir();
        var input = tmp.File("vol.h5");
        Assert.Equal(0, Cli.Run("synth", input, "--shape", "32,96,96", "--seed", "5").ExitCode);
        var model = TestModels.BrightObjects(tmp.File("bright.pkl"));
        var run = tmp.File("run");
        var r = Cli.Run("run", "--input", input + ":raw", "--model", model, "--output", run, "--block-shape", "32,48,48", "--min-seg-size", "20",
            "--workers", "2", "--threads", "1", "--voxel-size", "8,8,8", "--report", "false", "--outputs", "h5,zarr");
        Assert.True(r.ExitCode == 0, r.Err);

        using var view = new FfnProcess("view", "view", run);
        var url = view.WaitForLine(l => l.StartsWith("http://127.0.0.1:", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.Navigate(url);
        double seconds = await browser.WaitFor("typeof viewer !== 'undefined' && viewer.isReady()", TimeSpan.FromSeconds(120));
        await Task.Delay(1000);
        var png = await browser.Screenshot();
        var shot = tmp.File("view.png");
        await File.WriteAllBytesAsync(shot, png);
        Console.Error.WriteLine($"ffn view: first frame ready after {seconds:F1} s");
        var outp = PythonOracle.Run("""
            import sys, numpy as np
            from skimage import io
            img = io.imread(sys.argv[1])[..., :3].astype(int)
            r, g, b = img[..., 0], img[..., 1], img[..., 2]
            grey = (abs(r - g) <= 2) & (abs(g - b) <= 2)
            levels = len(np.unique(r[grey]))
            sat = (img.max(axis=2) - img.min(axis=2)) > 60
            # Distinct segment colours: coarse hue bins with enough pixels to be an object, not an icon.
            q = img[sat] // 32
            keys, counts = np.unique(q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2], return_counts=True)
            print(levels, int((counts > 200).sum()), int(sat.sum()))
            """, shot).Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(outp[0] >= 40, $"EM greys: {outp[0]} levels ({shot})");
        Assert.True(outp[1] >= 3, $"segment colours: {outp[1]} ({shot})");

        // The 3D panel (bottom left of the four) with the slices hidden: empty, then the largest object's mesh.
        var outpIds = PythonOracle.Run("""
            import sys, numpy as np, h5py
            s = h5py.File(sys.argv[1], 'r')['segmentation'][...]
            ids, counts = np.unique(s[s != 0], return_counts=True)
            print(ids[np.argmax(counts)])
            """, Path.Combine(run, "final_result.h5")).Trim();
        var hash = url.IndexOf("#!", StringComparison.Ordinal);
        var state = JsonNode.Parse(Uri.UnescapeDataString(url[(hash + 2)..]))!.AsObject();
        state["showSlices"] = false;
        state["layers"]![0]!["visible"] = false;
        var without = await Shot3D(state, "empty.png");
        state["layers"]![1]!["segments"] = new JsonArray(outpIds);
        var with = await Shot3D(state, "mesh.png");
        // Pixels of the 3D panel that the selection changed, and how many of them are coloured (the mesh, shaded).
        var diff = PythonOracle.Run("""
            import sys, numpy as np
            from skimage import io
            a, b = [io.imread(f)[..., :3].astype(int) for f in sys.argv[1:3]]
            h, w = a.shape[:2]
            box = (slice(h // 2 + 20, h - 20), slice(10, w * 3 // 8))   # inside the bottom-left panel, clear of its borders
            a, b = a[box], b[box]
            changed = np.abs(a - b).max(axis=2) > 30
            coloured = changed & ((b.max(axis=2) - b.min(axis=2)) > 30)
            print(int(changed.sum()), int(coloured.sum()))
            """, without, with).Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(diff[1] > 2000, $"3D panel with object {outpIds} selected: {diff[0]} pixels changed, {diff[1]} coloured ({with})");

        FfnProcess.Terminate(view);
        Assert.True(view.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, view.ExitCode);

        async Task<string> Shot3D(JsonObject s, string name)
        {
            await browser.Navigate(url[..hash] + "#!" + Uri.EscapeDataString(s.ToJsonString()));
            await Task.Delay(500); // the hash change is applied before readiness is asked again
            await browser.WaitFor("typeof viewer !== 'undefined' && viewer.isReady()", TimeSpan.FromSeconds(120));
            await Task.Delay(1500);
            var file = tmp.File(name);
            await File.WriteAllBytesAsync(file, await browser.Screenshot());
            return file;
        }
    }
}
