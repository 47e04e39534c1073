using System.CommandLine;
using System.Diagnostics;
using Ffn.Host.Cli;
using Ffn.Host.Viewer;
using Ffn.Model;
using Ffn.Model.Blocks;
using Ffn.Model.Geometry;
using Ffn.Model.Meshing;
using Ffn.Model.Reporting;
using Ffn.Model.Viewing;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn view RUN_DIR` or `ffn view IMG SEG`: a local web server with the Neuroglancer client and the data, printing
/// the one URL to open (locally, or through `ssh -L`). A run's final_result.zarr is served as files; anything else
/// (final_result.h5, any IMG and SEG) as zarr made on the fly.
/// </summary>
public static class ViewCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "view";
        var first = new Argument<string>("RUN_DIR_OR_IMAGE") { Description = "A run directory, or the EM volume PATH:dataset when SEG follows" };
        var second = new Argument<string?>("SEG") { Description = "Segmentation volume PATH:dataset (with an EM volume first)", Arity = ArgumentArity.ZeroOrOne };
        var host = Flags.Make<string>(ctx, s, "--host", "Address to listen on (127.0.0.1 = this machine only; reach it from elsewhere with ssh -L)");
        var port = Flags.Make<int>(ctx, s, "--port", "Port (0 = any free one)");
        var open = Flags.Make<bool>(ctx, s, "--open-browser", "Open the URL with xdg-open");
        var voxel = Flags.Make<string>(ctx, s, "--voxel-size", "Voxel size z,y,x in nm (\"\" = the run's, else 1,1,1)");
        var cmd = new Command("view", "Show a run (or an EM and a segmentation) in Neuroglancer, served from this machine with no internet needed")
        {
            first, second, host, port, open, voxel,
        };
        cmd.SetAction(async (r, outer) =>
        {
            int p = r.GetValue(port);
            if (p is < 0 or > 65535) throw new UsageException($"--port {p}: expected 0-65535");
            var hostText = r.GetValue(host)!;
            if (hostText != "localhost" && !System.Net.IPAddress.TryParse(hostText, out _))
                throw new UsageException($"--host {hostText}: give an IP address (127.0.0.1, 0.0.0.0 for every interface) or localhost");
            var voxelText = r.GetValue(voxel);
            var meshOptions = new MeshOptions(ctx.Config.Get<int>("ffn.mesh.level"), ctx.Config.Get<int>("ffn.mesh.smooth"),
                ctx.Config.Get<int>("ffn.mesh.block-size"), ctx.Config.Get<int>("ffn.mesh.threads"));
            var (content, state) = Content(r.GetValue(first)!, r.GetValue(second), string.IsNullOrWhiteSpace(voxelText) ? null : Flags.ParseVec("--voxel-size", voxelText),
                meshOptions, ctx);
            using var signals = new TerminationSignals(outer);
            await using var server = await ViewServer.StartAsync(r.GetValue(host)!, p, content, signals.Token);
            var url = server.Address + state(server.Address).Fragment;
            ctx.Out.WriteLine(url);
            ctx.Out.Flush();
            ctx.Progress.Report($"view: serving on {server.Address} until Ctrl-C; from another machine: ssh -L {server.Address.Port}:127.0.0.1:{server.Address.Port} THIS_HOST, then open the URL there");
            if (r.GetValue(open)) TryOpen(url, ctx);
            try
            {
                await Task.Delay(Timeout.Infinite, signals.Token);
            }
            catch (OperationCanceledException)
            {
            }
            foreach (var v in content.Volumes.Values) v.Dispose();
            if (content.MeshStore is { IsValueCreated: true } store) store.Value.Dispose();
            return FfnCli.Ok;
        });
        return cmd;
    }

    /// <summary>What to serve and the viewer state for a given base address.</summary>
    private static (ViewContent, Func<Uri, ViewerState>) Content(string firstArg, string? segArg, Vec3i? voxelFlag, MeshOptions meshOptions, CommandContext ctx)
    {
        if (segArg is null)
        {
            if (!Directory.Exists(firstArg)) throw new UsageException($"{firstArg}: no such run directory (to view two volumes, give IMG and SEG)");
            return RunContent(firstArg, voxelFlag, meshOptions, ctx);
        }
        var voxelSize = voxelFlag ?? Vec3i.One;
        var em = OpenVirtual(VolumeSpec.Parse(firstArg, "raw"), voxelSize);
        var seg = OpenVirtual(VolumeSpec.Parse(segArg), voxelSize);
        if (em.Shape != seg.Shape)
            throw new UsageException($"{segArg}: shape {seg.Shape} differs from {firstArg}'s {em.Shape}");
        var volumes = new Dictionary<string, VirtualZarr> { ["em"] = em, ["seg"] = seg };
        return (new ViewContent(null, volumes, null),
            a => new ViewerState($"zarr://{a}vol/em/", $"zarr://{a}vol/seg/", null, em.Shape, voxelSize));
    }

    private static (ViewContent, Func<Uri, ViewerState>) RunContent(string runDir, Vec3i? voxelFlag, MeshOptions meshOptions, CommandContext ctx)
    {
        var files = new ServedTree(runDir);
        var manifest = RunManifest.Load(runDir);
        var voxelSize = voxelFlag ?? (manifest?.Fields.GetValueOrDefault("voxel_size_zyx") is { } v ? Flags.ParseVec("run.json voxel_size_zyx", v) : Vec3i.One);
        var store = Path.Combine(runDir, "final_result.zarr");
        var labels = Path.Combine(store, "labels", OmeZarrImage.LabelsName);
        if (File.Exists(Path.Combine(store, ZarrGroup.AttributesFile)) && File.Exists(Path.Combine(labels, ZarrGroup.AttributesFile)))
        {
            Vec3i shape;
            using (var seg = ZarrVolumeReader.Open(Path.Combine(labels, "0"), store)) shape = seg.Info.Shape;
            // Meshes are made when the viewer first asks for an object, and cached in RUN_DIR/meshes (ffn mesh's settings).
            // The store opens on that first request too: building its object index reads the whole segmentation, which
            // must not delay the URL.
            var meshes = new Lazy<MeshStore>(() => MeshStore.Open(runDir, meshOptions, ctx.Progress), LazyThreadSafetyMode.ExecutionAndPublication);
            return (new ViewContent(files, new Dictionary<string, VirtualZarr>(), MeshFiles(meshes)) { MeshStore = meshes },
                a => new ViewerState($"zarr://{a}data/final_result.zarr/", $"zarr://{a}data/final_result.zarr/labels/{OmeZarrImage.LabelsName}/",
                    $"precomputed://{a}mesh", shape, voxelSize));
        }
        // A run made without the zarr output: its HDF5/TIFF result and its input, as zarr made on the fly.
        var run = RunRecord.Load(runDir);
        var segSpec = run.Segmentation ?? throw new UsageException($"{runDir}: no final_result.zarr, .h5 or .tif (the run did not reach stitching)");
        var segVol = OpenVirtual(segSpec, voxelSize);
        var volumes = new Dictionary<string, VirtualZarr> { ["seg"] = segVol };
        if (run.Input is { } input)
        {
            var reader = VolumeStore.OpenRead(VolumeSpec.Parse(input, "raw"));
            if (run.Roi is { } roi) reader = new RegionReader(reader, RegionOfInterest.Parse("run.json roi_zyx", roi, reader.Info.Shape));
            if (reader.Info.Shape == segVol.Shape) volumes["em"] = new VirtualZarr(reader, voxelSize);
            else reader.Dispose();
        }
        if (!volumes.ContainsKey("em")) throw new UsageException($"{runDir}: its input {run.Input ?? "(none named)"} cannot be read with the segmentation's shape; give IMG and SEG");
        return (new ViewContent(files, volumes, null),
            a => new ViewerState($"zarr://{a}vol/em/", $"zarr://{a}vol/seg/", null, segVol.Shape, voxelSize));
    }

    /// <summary>The legacy mesh source: info, ID:0 manifests and ID.frag fragments, built on first request.</summary>
    private static Func<string, byte[]?> MeshFiles(Lazy<MeshStore> lazy) => key =>
    {
        if (key == "info") return System.Text.Encoding.UTF8.GetBytes(LegacyMeshFormat.InfoJson);
        bool manifest = key.EndsWith(":0", StringComparison.Ordinal);
        var idText = manifest ? key[..^2] : key.EndsWith(".frag", StringComparison.Ordinal) ? key[..^5] : null;
        if (idText is null || !ulong.TryParse(idText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong id)) return null;
        try
        {
            var store = lazy.Value;
            return manifest ? System.Text.Encoding.UTF8.GetBytes(store.Manifest(id)) : File.ReadAllBytes(store.GetOrBuild(id));
        }
        catch (InputException)
        {
            return null; // no such object
        }
    };

    private static VirtualZarr OpenVirtual(VolumeSpec spec, Vec3i voxelSize)
    {
        var reader = VolumeStore.OpenRead(spec);
        try
        {
            return new VirtualZarr(reader, voxelSize);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static void TryOpen(string url, CommandContext ctx)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("xdg-open", url) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            ctx.Progress.Report($"view: cannot open a browser here ({e.Message}); open the URL yourself");
        }
    }
}
