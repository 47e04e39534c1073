using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ffn.Tests.Support;

/// <summary>
/// Debian's Chromium, headless with software WebGL (SwiftShader), driven over the DevTools protocol on a WebSocket:
/// open a page, evaluate JavaScript, take a PNG screenshot. No node or browser driver needed beyond /usr/bin/chromium.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private readonly Process _browser;
    private readonly TempDir _profile;
    private readonly ClientWebSocket _ws = new();
    private int _nextId;

    private HeadlessChromium(Process browser, TempDir profile)
    {
        _browser = browser;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> StartAsync(int width = 1200, int height = 900)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing: apt-get install chromium (.ci/run installs it)");
        var profile = new TempDir();
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--headless=new", "--no-sandbox", "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--disable-gpu-sandbox",
                     "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0",
                     $"--user-data-dir={profile.Path}", $"--window-size={width},{height}", "about:blank",
                 })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var c = new HeadlessChromium(p, profile);
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && DevTools().Match(line) is { Success: true } m) endpoint.TrySetResult(m.Groups[1].Value);
        };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        var done = await Task.WhenAny(endpoint.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (done != endpoint.Task) throw new TimeoutException("chromium did not print its DevTools address within 60 s");
        // The browser endpoint; a page target is attached below.
        await c._ws.ConnectAsync(new Uri(endpoint.Task.Result), CancellationToken.None);
        var target = await c.Send("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        var attached = await c.Send("Target.attachToTarget", new JsonObject { ["targetId"] = (string)target["targetId"]!, ["flatten"] = true });
        c._session = (string)attached["sessionId"]!;
        await c.Send("Page.enable");
        await c.Send("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        return c;
    }

    private string? _session;

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevTools();

    public Task Navigate(string url) => Send("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as JSON (null for undefined).</summary>
    public async Task<JsonNode?> Evaluate(string expression)
    {
        var r = await Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (r["exceptionDetails"] is { } ex) throw new InvalidOperationException($"page script failed: {ex.ToJsonString()}");
        return r["result"]?["value"];
    }

    /// <summary>Polls <paramref name="condition"/> until it is true; returns the seconds it took.</summary>
    public async Task<double> WaitFor(string condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await Evaluate(condition) is JsonValue v && v.TryGetValue(out bool ok) && ok) return clock.Elapsed.TotalSeconds;
            await Task.Delay(250);
        }
        throw new TimeoutException($"'{condition}' still false after {timeout.TotalSeconds:F0} s");
    }

    public async Task<byte[]> Screenshot()
    {
        var r = await Send("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String((string)r["data"]!);
    }

    private async Task<JsonObject> Send(string method, JsonObject? parameters = null)
    {
        int id = ++_nextId;
        var msg = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (_session != null && !method.StartsWith("Target.", StringComparison.Ordinal)) msg["sessionId"] = _session;
        await _ws.SendAsync(Encoding.UTF8.GetBytes(msg.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var reply = await Receive(timeout.Token);
            if (reply["id"] is { } rid && (int)rid == id)
            {
                if (reply["error"] is { } err) throw new InvalidOperationException($"{method}: {err.ToJsonString()}");
                return reply["result"]?.AsObject() ?? new JsonObject();
            }
        }
    }

    private async Task<JsonObject> Receive(CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        using var ms = new MemoryStream();
        while (true)
        {
            var r = await _ws.ReceiveAsync(buffer, ct);
            ms.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) break;
        }
        return JsonNode.Parse(ms.ToArray())!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        try { _ws.Abort(); } catch (WebSocketException) { }
        _ws.Dispose();
        try { if (!_browser.HasExited) _browser.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _browser.WaitForExitAsync();
        _browser.Dispose();
        _profile.Dispose();
    }
}
