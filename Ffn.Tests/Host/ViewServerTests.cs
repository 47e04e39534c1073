using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Ffn.Host.Viewer;
using Ffn.Model.Viewing;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Host;

/// <summary>
/// `ffn view`'s server at the HTTP level: byte ranges (206, suffix ranges, 416 for malformed or unsatisfiable ones),
/// CORS on every answer and on preflight, nothing outside the served folder (dot segments, links out), and volumes
/// as zarr that zarr-python reads back equal to the source.
/// </summary>
public class ViewServerTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static (TempDir Tmp, string Run, byte[] Data) Folder()
    {
        var tmp = new TempDir();
        var run = tmp.File("run");
        Directory.CreateDirectory(Path.Combine(run, "sub"));
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7 % 251)).ToArray();
        File.WriteAllBytes(Path.Combine(run, "sub", "a.bin"), data);
        File.WriteAllText(tmp.File("secret.txt"), "outside the run");
        Directory.CreateDirectory(tmp.File("elsewhere"));
        File.WriteAllText(Path.Combine(tmp.File("elsewhere"), "s.txt"), "outside the run too");
        File.CreateSymbolicLink(Path.Combine(run, "out.txt"), tmp.File("secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(run, "outdir"), tmp.File("elsewhere"));
        File.CreateSymbolicLink(Path.Combine(run, "in.bin"), Path.Combine("sub", "a.bin"));
        return (tmp, run, data);
    }

    private static Task<ViewServer> Start(string run) =>
        ViewServer.StartAsync("127.0.0.1", 0, new ViewContent(new ServedTree(run), new Dictionary<string, VirtualZarr>(), null), CancellationToken.None);

    private static async Task<HttpResponseMessage> Get(Uri url, string? range = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (range != null) req.Headers.TryAddWithoutValidation("Range", range);
        return await Http.SendAsync(req);
    }

    [Fact]
    public async Task Ranges_are_answered_exactly_and_bad_ones_refused()
    {
        var (tmp, run, data) = Folder();
        using var _ = tmp;
        await using var server = await Start(run);
        var url = new Uri(server.Address, "data/sub/a.bin");

        var whole = await Get(url);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(data, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());

        var part = await Get(url, "bytes=10-19");
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(data[10..20], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 10-19/1000", part.Content.Headers.ContentRange!.ToString());

        var tail = await Get(url, "bytes=-5");
        Assert.Equal(data[995..], await tail.Content.ReadAsByteArrayAsync());
        var open = await Get(url, "bytes=990-");
        Assert.Equal(data[990..], await open.Content.ReadAsByteArrayAsync());
        var past = await Get(url, "bytes=995-5000");
        Assert.Equal(data[995..], await past.Content.ReadAsByteArrayAsync());

        foreach (var bad in new[] { "bytes=abc", "bytes=20-10", "bytes=1000-", "items=0-5", "bytes=-0", "bytes=5" })
        {
            var r = await Get(url, bad);
            Assert.True(r.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable, $"{bad}: {r.StatusCode}");
            Assert.Equal("bytes */1000", r.Content.Headers.ContentRange!.ToString());
        }
        // Same bytes through a link that stays inside the folder.
        Assert.Equal(data[0..4], await (await Get(new Uri(server.Address, "data/in.bin"), "bytes=0-3")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Every_answer_carries_cors_and_preflight_is_allowed()
    {
        var (tmp, run, _) = Folder();
        using var _ = tmp;
        await using var server = await Start(run);
        var get = await Get(new Uri(server.Address, "data/sub/a.bin"), "bytes=0-1");
        Assert.Equal("*", get.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Content-Range", get.Headers.GetValues("Access-Control-Expose-Headers").Single());
        var missing = await Get(new Uri(server.Address, "data/nothing.bin"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("*", missing.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var pre = new HttpRequestMessage(HttpMethod.Options, new Uri(server.Address, "data/sub/a.bin"));
        pre.Headers.Add("Origin", "https://neuroglancer-demo.appspot.com");
        pre.Headers.Add("Access-Control-Request-Method", "GET");
        pre.Headers.Add("Access-Control-Request-Headers", "range");
        var r = await Http.SendAsync(pre);
        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        Assert.Contains("Range", r.Headers.GetValues("Access-Control-Allow-Headers").Single());
    }

    [Fact]
    public async Task Nothing_outside_the_folder_is_served()
    {
        var (tmp, run, _) = Folder();
        using var _ = tmp;
        await using var server = await Start(run);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(new Uri(server.Address, "data/out.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(new Uri(server.Address, "data/outdir/s.txt"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(new Uri(server.Address, "data/sub"))).StatusCode); // a folder is not a file
        // Dot segments sent as they are (HttpClient would tidy them away), plain and percent-encoded.
        foreach (var target in new[] { "/data/../secret.txt", "/data/sub/../../secret.txt", "/data/%2e%2e/secret.txt", "/data/sub%2f..%2f..%2fsecret.txt", "/data/..%5csecret.txt" })
        {
            var (status, body) = await RawGet(server.Address, target);
            Assert.True(status is 404 or 400, $"{target}: {status}");
            Assert.DoesNotContain("outside the run", body);
        }
    }

    /// <summary>A GET with the request target exactly as given.</summary>
    private static async Task<(int Status, string Body)> RawGet(Uri server, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var s = tcp.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {server.Host}\r\nConnection: close\r\n\r\n"));
        var text = await new StreamReader(s, Encoding.Latin1).ReadToEndAsync();
        return (int.Parse(text.Split(' ')[1]), text);
    }

    [Fact]
    public async Task A_volume_served_as_zarr_reads_back_in_zarr_python_equal_to_its_source()
    {
        using var tmp = new TempDir();
        var h5 = tmp.File("v.h5");
        Assert.Equal(0, Cli.Run("synth", h5, "--shape", "40,70,90", "--seed", "6").ExitCode);
        using var seg = new VirtualZarr(VolumeStore.OpenRead(new VolumeSpec(h5, "labels", VolumeFormat.Hdf5)), new Ffn.Model.Geometry.Vec3i(8, 6, 6), new Ffn.Model.Geometry.Vec3i(16, 32, 32));
        await using var server = await ViewServer.StartAsync("127.0.0.1", 0,
            new ViewContent(null, new Dictionary<string, VirtualZarr> { ["seg"] = seg }, null), CancellationToken.None);
        // Mirror what a zarr client fetches over HTTP into a folder, then let zarr-python judge it.
        var mirror = tmp.File("mirror.zarr");
        foreach (var key in new[] { ".zgroup", ".zattrs", "0/.zarray" })
            await Save(key);
        for (int z = 0; z < 3; z++)
        for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++)
            await Save($"0/{z}/{y}/{x}");
        Assert.Equal(HttpStatusCode.NotFound, (await Get(new Uri(server.Address, "vol/seg/0/3/0/0"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Get(new Uri(server.Address, "vol/other/.zgroup"))).StatusCode);
        var outp = PythonOracle.Run("""
            import sys, numpy as np, h5py, zarr
            g = zarr.open_group(sys.argv[1], mode='r')
            m = g.attrs['multiscales'][0]
            assert m['datasets'][0]['coordinateTransformations'][0]['scale'] == [8, 6, 6], m
            a = g['0']
            assert a.dtype == np.uint32 and a.chunks == (16, 32, 32), (a.dtype, a.chunks)
            assert np.array_equal(a[...], h5py.File(sys.argv[2], 'r')['labels'][...])
            print('ok')
            """, mirror, h5);
        Assert.Equal("ok", outp.Trim());

        async Task Save(string key)
        {
            var r = await Get(new Uri(server.Address, "vol/seg/" + key));
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{key}: {r.StatusCode}");
            var path = Path.Combine(mirror, key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        }
    }
}
