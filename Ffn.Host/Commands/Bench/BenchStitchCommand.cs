using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model.Geometry;
using static Ffn.Host.Commands.Bench.BenchSupport;

namespace Ffn.Host.Commands.Bench;

/// <summary>
/// `ffn bench stitch`: the job — FFN-PyTorch-style tiles (default 4 of 64x512x512, ~2,600 objects) stitched with
/// the faces merge and written as final_result.tif by a child `ffn stitch` process — timed per phase with the
/// child's peak resident memory, then the same on a volume --large-factor times deeper. With --python, a NumPy
/// transcription of FFN-PyTorch's stitch_save.py algorithm (ours: its per-voxel merge loops, min-id mapping and
/// slice-by-slice BigTIFF) runs on the same tiles in the same session.
/// </summary>
public static class BenchStitchCommand
{
    private const string S = "bench.stitch";

    public static Command Create(CommandContext ctx)
    {
        var tile = Flags.Make<string>(ctx, S, "--tile-shape", "Tile shape z,y,x");
        var grid = Flags.Make<string>(ctx, S, "--grid", "Tiles per axis z,y,x (the volume is grid x tile)");
        var cell = Flags.Make<string>(ctx, S, "--cell", "Object (cell) size z,y,x of the generated labels: ~2,600 objects in 64x1024x1024 at 16,48,48");
        var large = Flags.Make<int>(ctx, S, "--large-factor", "Second run on a volume this many times deeper (0 = skip)");
        var minRun = Flags.Make<int>(ctx, S, "--min-consecutive-pixels", "Faces merge run length");
        var repeat = Flags.Make<int>(ctx, S, "--repeat", "Timed runs per volume (medians reported)");
        var workDir = Flags.Make<string>(ctx, S, "--work-dir", "Where tiles and outputs go (\"\" = a temporary directory, deleted after)");
        var python = Flags.Make<string>(ctx, S, "--python", "Python with NumPy and tifffile for FFN-PyTorch's algorithm (\"\" = skip)");
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var cmd = new Command("stitch", "Time ffn stitch (faces merge, BigTIFF) on FFN-PyTorch-style tiles, and on a volume several times deeper")
        {
            tile, grid, cell, large, minRun, repeat, workDir, python, json,
        };
        cmd.SetAction((r, ct) => Task.FromResult(Run(r, ct)));
        return cmd;

        int Run(ParseResult r, CancellationToken ct)
        {
            var tileShape = Flags.ParseVec("--tile-shape", r.GetValue(tile));
            var gridShape = Flags.ParseVec("--grid", r.GetValue(grid));
            var cellShape = Flags.ParseVec("--cell", r.GetValue(cell));
            int factor = Flags.AtLeast(r, large, 0), repeats = Flags.AtLeast(r, repeat), m = Flags.AtLeast(r, minRun);
            var py = r.GetValue(python) is { Length: > 0 } p ? p : null;
            if (py is not null && !File.Exists(py)) throw new UsageException($"--python {py}: no such file");
            var given = r.GetValue(workDir);
            var root = string.IsNullOrWhiteSpace(given) ? Path.Combine(Path.GetTempPath(), $"ffn-bench-stitch-{Guid.NewGuid():N}") : given;
            Directory.CreateDirectory(root);
            try
            {
                var runs = new List<object>();
                var lines = new List<string>();
                foreach (int f in factor > 0 ? new[] { 1, factor } : [1])
                {
                    var g = gridShape with { Z = gridShape.Z * f };
                    var shape = new Vec3i(tileShape.Z * g.Z, tileShape.Y * g.Y, tileShape.X * g.X);
                    var dir = Path.Combine(root, $"tiles-{shape.Z}x{shape.Y}x{shape.X}");
                    long objects = SyntheticTiles.Write(dir, shape, tileShape, cellShape, ctx.Progress, ct);
                    // Interleaved, so both see the same machine load (this one is shared).
                    var ours = new List<OurRun>();
                    var transcribed = new List<StitchSaveTranscription.Timing>();
                    for (int k = 0; k < repeats; k++)
                    {
                        ours.Add(RunOurs(dir, root, shape, tileShape, m, ctx.Progress, ct));
                        if (py is null || f != 1) continue;
                        var t = StitchSaveTranscription.Run(py, dir, Path.Combine(root, "seed_result.tif"), shape, tileShape, m, ct);
                        ctx.Progress.Report(string.Create(CultureInfo.InvariantCulture, $"bench stitch: FFN-PyTorch's algorithm (NumPy) {shape}: {t.Total:F3} s, peak {t.PeakRss / 1048576.0:F0} MiB"));
                        transcribed.Add(t);
                    }
                    var reference = transcribed.Count == 0 ? null : new StitchSaveTranscription.Timing(Median(transcribed.Select(x => x.Stitch)),
                        Median(transcribed.Select(x => x.Merge)), Median(transcribed.Select(x => x.Write)), Median(transcribed.Select(x => x.Total)),
                        transcribed.Max(x => x.PeakRss), transcribed[0].Objects);
                    runs.Add(Report(lines, shape, tileShape, objects, ours, reference));
                }
                if (r.GetValue(json)) ctx.Out.WriteLine(JsonSerializer.Serialize(runs));
                else foreach (var l in lines) ctx.Out.WriteLine(l);
                return FfnCli.Ok;
            }
            finally
            {
                if (string.IsNullOrWhiteSpace(given)) try { Directory.Delete(root, true); } catch (IOException) { }
            }
        }
    }

    private sealed record OurRun(double Wall, double Total, double Read, double Add, double Merge, double Write, double WriteLoad, double WriteOutput, long PeakRss,
        long Pairs, long BoundaryPairs, long ObjectsBefore, long ObjectsAfter, long PeakPending, long PeakSlab);

    /// <summary>Adds the text lines for one volume to <paramref name="lines"/>; returns its JSON object.</summary>
    private static object Report(List<string> lines, Vec3i shape, Vec3i tile, long objects, List<OurRun> ours, StitchSaveTranscription.Timing? reference)
    {
        var ci = CultureInfo.InvariantCulture;
        double Med(Func<OurRun, double> f) => Median(ours.Select(f));
        double total = Med(o => o.Total), merge = Med(o => o.Merge), wall = Med(o => o.Wall);
        double read = Med(o => o.Read), add = Med(o => o.Add), write = Med(o => o.Write);
        long pairs = ours[0].BoundaryPairs, rss = ours.Max(o => o.PeakRss);
        double perPair = merge / Math.Max(1, pairs) * 1e6;
        lines.Add(string.Create(ci, $"volume {shape} (z,y,x) in tiles of {tile}: {shape.Product * 4 / 1048576.0:F0} MiB uint32, {objects} generated objects; {ours.Count} run(s) of `ffn stitch --merge faces`, medians:"));
        lines.Add(string.Create(ci, $"  objects {ours[0].ObjectsBefore} -> {ours[0].ObjectsAfter}, {ours[0].Pairs} pairs merged over {pairs} face voxel pairs"));
        lines.Add(string.Create(ci, $"  whole job {total:F3} s (process wall {wall:F3} s with .NET start-up) = read tiles {read:F3} + id tables and merge data {add:F3} + write {write:F3} (re-reading tiles {Med(o => o.WriteLoad):F3}, TIFF {Med(o => o.WriteOutput):F3}); merge {merge:F3} s = {perPair:F3} us per face voxel pair"));
        lines.Add(string.Create(ci, $"  peak resident memory (VmHWM of the ffn process) {rss / 1048576.0:F0} MiB; merge data parked {ours.Max(o => o.PeakPending) / 1048576.0:F1} MiB, output slab {ours.Max(o => o.PeakSlab) / 1048576.0:F0} MiB"));
        if (reference is { } t)
        {
            double tPerPair = t.Merge / Math.Max(1, pairs) * 1e6;
            lines.Add(string.Create(ci, $"  FFN-PyTorch's algorithm (NumPy, same tiles, interleaved, medians): {t.Total:F3} s = stitch {t.Stitch:F3} + merge {t.Merge:F3} ({tPerPair:F2} us per pair) + write {t.Write:F3}; peak resident memory {t.PeakRss / 1048576.0:F0} MiB; {t.Objects} objects"));
            lines.Add(string.Create(ci, $"  speed-up: merge {tPerPair / perPair:F0}x per pair, whole job {t.Total / total:F1}x ({t.Total / wall:F1}x against our process wall)"));
        }
        return new
        {
            shape = shape.ToArray(), tile_shape = tile.ToArray(), generated_objects = objects, runs = ours.Count,
            objects_before = ours[0].ObjectsBefore, objects_after = ours[0].ObjectsAfter, pairs_merged = ours[0].Pairs, boundary_voxel_pairs = pairs,
            total_s = total, wall_s = wall, read_s = read, add_s = add, merge_s = merge, write_s = write, merge_us_per_pair = perPair,
            peak_rss_bytes = rss, all_total_s = ours.Select(o => o.Total), all_wall_s = ours.Select(o => o.Wall),
            seed = reference is not { } r ? null : new { stitch_s = r.Stitch, merge_s = r.Merge, write_s = r.Write, total_s = r.Total, peak_rss_bytes = r.PeakRss, objects = r.Objects },
        };
    }

    private static OurRun RunOurs(string dir, string root, Vec3i shape, Vec3i tile, int m, IProgress<string> progress, CancellationToken ct)
    {
        var psi = ChildProcess.Ffn(["stitch", dir, Path.Combine(root, "final_result.tif"), "--original-shape", shape.ToString(),
            "--tile-shape", tile.ToString(), "--merge", "faces", "--min-consecutive-pixels", m.ToString(CultureInfo.InvariantCulture), "--json"]);
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = ChildProcess.Run(psi, Timeout.InfiniteTimeSpan, ct);
        double wall = clock.Elapsed.TotalSeconds;
        if (code != 0) throw new InvalidOperationException($"ffn stitch failed (exit {code}): {ChildProcess.LastLine(stderr)}");
        using var doc = JsonDocument.Parse(ChildProcess.LastLine(stdout));
        var e = doc.RootElement;
        var run = new OurRun(wall, e.GetProperty("total_s").GetDouble(), e.GetProperty("read_s").GetDouble(), e.GetProperty("add_s").GetDouble(),
            e.GetProperty("merge_s").GetDouble(), e.GetProperty("write_s").GetDouble(), e.GetProperty("write_load_s").GetDouble(), e.GetProperty("write_output_s").GetDouble(), e.GetProperty("peak_rss_bytes").GetInt64(),
            e.GetProperty("pairs_merged").GetInt64(), e.GetProperty("boundary_voxel_pairs").GetInt64(), e.GetProperty("objects_before").GetInt64(),
            e.GetProperty("objects_after").GetInt64(), e.GetProperty("peak_pending_bytes").GetInt64(), e.GetProperty("peak_slab_bytes").GetInt64());
        progress.Report(string.Create(CultureInfo.InvariantCulture, $"bench stitch: ffn stitch {shape}: {run.Total:F3} s (wall {wall:F3} s), peak {run.PeakRss / 1048576.0:F0} MiB"));
        return run;
    }
}
