using System.CommandLine;
using System.Globalization;
using Ffn.Host.Cli;
using Ffn.Model.Meshing;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn mesh RUN_DIR`: the surfaces of a run's objects from final_result.zarr's segmentation, as Neuroglancer
/// precomputed legacy meshes in RUN_DIR/meshes (the cache `ffn view` serves from), largest object first.
/// </summary>
public static class MeshCommand
{
    public static Command Create(CommandContext ctx)
    {
        const string s = "mesh";
        var dir = new Argument<string>("RUN_DIR") { Description = "A run directory with final_result.zarr (ffn run, or ffn export --to zarr)" };
        var ids = Flags.Make<string>(ctx, s, "--ids", "Comma-separated object ids to mesh (\"\" = every object)");
        var level = Flags.Make<int>(ctx, s, "--level", "Segmentation pyramid level to mesh (0 = full resolution, each level 2x2x2 coarser)");
        var maxObjects = Flags.Make<int>(ctx, s, "--max-objects", "Mesh at most this many objects, the largest (0 = no limit)");
        var smooth = Flags.Make<int>(ctx, s, "--smooth", "Taubin smoothing iterations (0 = the raw surface, on voxel faces)");
        var blockSize = Flags.Make<int>(ctx, s, "--block-size", "Voxels per side of the sub-blocks an object is meshed in (bounds memory)");
        var threads = Flags.Make<int>(ctx, s, "--threads", "Threads (0 = one per core)");
        var cmd = new Command("mesh", "Mesh a run's objects for Neuroglancer (RUN_DIR/meshes, precomputed legacy meshes in nanometres)")
        {
            dir, ids, level, maxObjects, smooth, blockSize, threads,
        };
        cmd.SetAction((r, ct) =>
        {
            var runDir = r.GetValue(dir)!;
            var wanted = ParseIds(r.GetValue(ids));
            int lvl = Flags.AtLeast(r, level, 0), max = Flags.AtLeast(r, maxObjects, 0);
            var options = new MeshOptions(lvl, Flags.AtLeast(r, smooth, 0), Flags.AtLeast(r, blockSize, 1), Flags.AtLeast(r, threads, 0));
            if (!Directory.Exists(runDir)) throw new UsageException($"{runDir}: no such run directory");
            var levels = MeshStore.Levels(runDir);
            if (lvl >= levels.Count)
                throw new UsageException($"--level {lvl}: the segmentation has level{(levels.Count == 1 ? " 0 only" : $"s 0 to {levels.Count - 1}")}");
            using var store = MeshStore.Open(runDir, options, ctx.Progress, ct);
            foreach (var id in wanted)
                if (!store.Index.Contains(id))
                    throw new UsageException($"--ids: no object {id} in the segmentation at level {lvl} ({store.Index.Objects.Count} objects)");
            // The index lists objects largest first; given ids are taken in that order too.
            var chosen = wanted.Count == 0 ? store.Index.Objects.Select(o => o.Id) : store.Index.Objects.Select(o => o.Id).Where(wanted.Contains);
            var list = (max > 0 ? chosen.Take(max) : chosen).ToList();
            var sum = store.BuildAll(list, ctx.Progress, ct);
            var ci = CultureInfo.InvariantCulture;
            ctx.Out.WriteLine(string.Create(ci,
                $"meshed {sum.Objects} object(s) at level {lvl} ({sum.Built} built, {sum.Reused} cached): {sum.Triangles} triangles, {sum.Vertices} vertices, {sum.Bytes} bytes in {sum.Seconds:F2} s -> {store.Folder}"));
            if (sum.Largest is { } big)
                ctx.Out.WriteLine(string.Create(ci, $"largest mesh: object {big.Id}, {big.Triangles} triangles, {big.Bytes} bytes"));
            return Task.FromResult(FfnCli.Ok);
        });
        return cmd;
    }

    private static HashSet<ulong> ParseIds(string? text)
    {
        var ids = new HashSet<ulong>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0)
                throw new UsageException($"--ids {text}: '{part}' is not an object id (a positive integer)");
            ids.Add(id);
        }
        return ids;
    }
}
