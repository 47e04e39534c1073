using System.Net;
using System.Reflection;
using Ffn.Model.Viewing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ffn.Host.Viewer;

/// <summary>What one `ffn view` serves: a folder's files under /data/, volumes as zarr under /vol/NAME/, meshes under /mesh/.</summary>
public sealed record ViewContent(ServedTree? Files, IReadOnlyDictionary<string, VirtualZarr> Volumes, Func<string, byte[]?>? Meshes)
{
    /// <summary>The mesh cache behind <see cref="Meshes"/>, disposed with the server's content.</summary>
    public Lazy<Ffn.Model.Meshing.MeshStore>? MeshStore { get; init; }
}

/// <summary>
/// The `ffn view` web server (Kestrel): the embedded Neuroglancer client at /, a run directory's files at /data/
/// with byte ranges, virtual zarr volumes at /vol/NAME/ and meshes at /mesh/, every answer with CORS headers so a
/// lab's own Neuroglancer (or the public one) can load the same sources. Nothing outside these is served.
/// </summary>
public sealed class ViewServer : IAsyncDisposable
{
    private static readonly FileExtensionContentTypeProvider Types = new();
    private readonly WebApplication _app;

    private ViewServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The base address (scheme, host, the port actually bound), ending in '/'.</summary>
    public Uri Address { get; }

    public static async Task<ViewServer> StartAsync(string host, int port, ViewContent content, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            // Never all interfaces by accident: a name other than localhost is refused, not widened to 0.0.0.0.
            if (host == "localhost") k.ListenLocalhost(port);
            else k.Listen(IPAddress.TryParse(host, out var ip) ? ip : throw new ArgumentException($"--host {host}: not an IP address"), port);
        });
        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            var h = http.Response.Headers;
            h.AccessControlAllowOrigin = "*";
            h.AccessControlAllowHeaders = "Range, Content-Type";
            h.AccessControlAllowMethods = "GET, HEAD, OPTIONS";
            h.AccessControlExposeHeaders = "Content-Range, Content-Length, Accept-Ranges";
            if (HttpMethods.IsOptions(http.Request.Method))
            {
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
            if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            {
                http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return;
            }
            await next(http);
        });
        app.Run(http => Handle(http, content));
        await app.StartAsync(ct);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound.Replace("0.0.0.0", host).Replace("[::]", host));
        return new ViewServer(app, new Uri($"{uri.Scheme}://{(host.Contains(':') ? $"[{host}]" : host)}:{uri.Port}/"));
    }

    private static async Task Handle(HttpContext http, ViewContent content)
    {
        // The raw path, percent-decoded once here: Kestrel leaves %2F and %2E in it for us to judge.
        var raw = http.Request.Path.Value ?? "/";
        var path = Uri.UnescapeDataString(raw);
        if (path.StartsWith("/data/", StringComparison.Ordinal) && content.Files is { } files)
        {
            var real = files.Resolve(path["/data/".Length..]);
            if (real is null) await NotFound(http);
            else await SendFile(http, real);
            return;
        }
        if (path.StartsWith("/vol/", StringComparison.Ordinal))
        {
            var rest = path["/vol/".Length..];
            int slash = rest.IndexOf('/');
            var bytes = slash > 0 && content.Volumes.TryGetValue(rest[..slash], out var vol) ? vol.Get(rest[(slash + 1)..]) : null;
            if (bytes is null) await NotFound(http);
            else await SendBytes(http, bytes, TypeOf(rest));
            return;
        }
        if (path.StartsWith("/mesh/", StringComparison.Ordinal) && content.Meshes is { } meshes)
        {
            var key = path["/mesh/".Length..];
            var bytes = await Task.Run(() => meshes(key), http.RequestAborted);
            if (bytes is null) await NotFound(http);
            else await SendBytes(http, bytes, "application/octet-stream");
            return;
        }
        var name = path == "/" ? "index.html" : path.TrimStart('/');
        var client = ClientFile(name);
        if (client is null) await NotFound(http);
        else await SendBytes(http, client, TypeOf(name));
    }

    /// <summary>A file of the embedded Neuroglancer client (Ffn.Host/Viewer/client), or null.</summary>
    public static byte[]? ClientFile(string name)
    {
        if (name.Contains("..", StringComparison.Ordinal)) return null;
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("client/" + name);
        if (s is null) return null;
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static string TypeOf(string name) =>
        name.EndsWith(".zarray", StringComparison.Ordinal) || name.EndsWith(".zattrs", StringComparison.Ordinal) || name.EndsWith(".zgroup", StringComparison.Ordinal)
            ? "application/json"
            : Types.TryGetContentType(name, out var t) ? t : "application/octet-stream";

    private static Task NotFound(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private static async Task SendFile(HttpContext http, string path)
    {
        await using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        if (!Ranged(http, f.Length, out var range)) return;
        f.Seek(range.Start, SeekOrigin.Begin);
        http.Response.ContentType = TypeOf(path);
        if (HttpMethods.IsHead(http.Request.Method)) return;
        var buffer = new byte[1 << 16];
        for (long left = range.Length; left > 0;)
        {
            int n = await f.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), http.RequestAborted);
            if (n == 0) break;
            await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), http.RequestAborted);
            left -= n;
        }
    }

    private static async Task SendBytes(HttpContext http, byte[] bytes, string type)
    {
        if (!Ranged(http, bytes.Length, out var range)) return;
        http.Response.ContentType = type;
        if (HttpMethods.IsHead(http.Request.Method)) return;
        await http.Response.Body.WriteAsync(bytes.AsMemory((int)range.Start, (int)range.Length), http.RequestAborted);
    }

    /// <summary>Sets status and length headers for the request's Range; false when the range is refused (416 sent).</summary>
    private static bool Ranged(HttpContext http, long length, out ByteRange range)
    {
        var h = http.Response.Headers;
        h.AcceptRanges = "bytes";
        switch (ByteRange.Parse(http.Request.Headers.Range.ToString(), length, out range))
        {
            case ByteRange.Outcome.Refused:
                http.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                h.ContentRange = $"bytes */{length}";
                return false;
            case ByteRange.Outcome.Partial:
                http.Response.StatusCode = StatusCodes.Status206PartialContent;
                h.ContentRange = $"bytes {range.Start}-{range.End}/{length}";
                break;
        }
        http.Response.ContentLength = range.Length;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
