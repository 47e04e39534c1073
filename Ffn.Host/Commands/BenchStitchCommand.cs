using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ffn.Host.Cli;
using Ffn.Model;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands;

/// <summary>
/// `ffn bench stitch`: the job — seed-style tiles (default 4 of 64x512x512, ~2,600 objects) stitched with
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
        var python = Flags.Make<string>(ctx, S, "--python", "Python with NumPy and tifffile for the seed's algorithm (\"\" = skip)");
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var cmd = new Command("stitch", "Time ffn stitch (faces merge, BigTIFF) on seed-style tiles, and on a volume several times deeper")
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
            int factor = r.GetValue(large), m = r.GetValue(minRun), repeats = r.GetValue(repeat);
            if (factor < 0) throw new UsageException($"--large-factor: expected 0 or more, got {factor}");
            if (repeats < 1) throw new UsageException($"--repeat: expected at least 1, got {repeats}");
            if (m < 1) throw new UsageException($"--min-consecutive-pixels: expected at least 1, got {m}");
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
                    long objects = WriteTiles(dir, shape, tileShape, cellShape, ctx.Progress, ct);
                    // Interleaved, so both see the same machine load (this one is shared).
                    var ours = new List<OurRun>();
                    var seeds = new List<SeedRun>();
                    for (int k = 0; k < repeats; k++)
                    {
                        ours.Add(RunOurs(dir, root, shape, tileShape, m, ctx.Progress, ct));
                        if (py is null || f != 1) continue;
                        var sr = RunSeed(py, dir, Path.Combine(root, "seed_result.tif"), shape, tileShape, m, ct);
                        ctx.Progress.Report(string.Create(CultureInfo.InvariantCulture, $"bench stitch: seed's algorithm (NumPy) {shape}: {sr.Total:F3} s, peak {sr.PeakRss / 1048576.0:F0} MiB"));
                        seeds.Add(sr);
                    }
                    SeedRun? seed = seeds.Count == 0 ? null : new SeedRun(Median(seeds.Select(x => x.Stitch).ToList()), Median(seeds.Select(x => x.Merge).ToList()),
                        Median(seeds.Select(x => x.Write).ToList()), Median(seeds.Select(x => x.Total).ToList()), seeds.Max(x => x.PeakRss), seeds[0].Objects);
                    runs.Add(Report(lines, shape, tileShape, objects, ours, seed));
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

    private sealed record SeedRun(double Stitch, double Merge, double Write, double Total, long PeakRss, long Objects);

    private static object Report(List<string> lines, Vec3i shape, Vec3i tile, long objects, List<OurRun> ours, SeedRun? seed)
    {
        var ci = CultureInfo.InvariantCulture;
        double Med(Func<OurRun, double> f) => Median(ours.Select(f).ToList());
        double total = Med(o => o.Total), merge = Med(o => o.Merge), wall = Med(o => o.Wall);
        double read = Med(o => o.Read), add = Med(o => o.Add), write = Med(o => o.Write);
        long pairs = ours[0].BoundaryPairs, rss = ours.Max(o => o.PeakRss);
        double perPair = merge / Math.Max(1, pairs) * 1e6;
        lines.Add(string.Create(ci, $"volume {shape} (z,y,x) in tiles of {tile}: {shape.Product * 4 / 1048576.0:F0} MiB uint32, {objects} generated objects; {ours.Count} run(s) of `ffn stitch --merge faces`, medians:"));
        lines.Add(string.Create(ci, $"  objects {ours[0].ObjectsBefore} -> {ours[0].ObjectsAfter}, {ours[0].Pairs} pairs merged over {pairs} face voxel pairs"));
        lines.Add(string.Create(ci, $"  whole job {total:F3} s (process wall {wall:F3} s with .NET start-up) = read tiles {read:F3} + id tables and merge data {add:F3} + write {write:F3} (re-reading tiles {Med(o => o.WriteLoad):F3}, TIFF {Med(o => o.WriteOutput):F3}); merge {merge:F3} s = {perPair:F3} us per face voxel pair"));
        lines.Add(string.Create(ci, $"  peak resident memory (VmHWM of the ffn process) {rss / 1048576.0:F0} MiB; merge data parked {ours.Max(o => o.PeakPending) / 1048576.0:F1} MiB, output slab {ours.Max(o => o.PeakSlab) / 1048576.0:F0} MiB"));
        if (seed is not null)
        {
            double seedPerPair = seed.Merge / Math.Max(1, pairs) * 1e6;
            lines.Add(string.Create(ci, $"  seed's algorithm (NumPy, same tiles, interleaved, medians): {seed.Total:F3} s = stitch {seed.Stitch:F3} + merge {seed.Merge:F3} ({seedPerPair:F2} us per pair) + write {seed.Write:F3}; peak resident memory {seed.PeakRss / 1048576.0:F0} MiB; {seed.Objects} objects"));
            lines.Add(string.Create(ci, $"  speed-up: merge {seedPerPair / perPair:F0}x per pair, whole job {seed.Total / total:F1}x ({seed.Total / wall:F1}x against our process wall)"));
        }
        return new
        {
            shape = shape.ToArray(), tile_shape = tile.ToArray(), generated_objects = objects, runs = ours.Count,
            objects_before = ours[0].ObjectsBefore, objects_after = ours[0].ObjectsAfter, pairs_merged = ours[0].Pairs, boundary_voxel_pairs = pairs,
            total_s = total, wall_s = wall, read_s = read, add_s = add, merge_s = merge, write_s = write, merge_us_per_pair = perPair,
            peak_rss_bytes = rss, all_total_s = ours.Select(o => o.Total), all_wall_s = ours.Select(o => o.Wall),
            seed = seed is null ? null : new { stitch_s = seed.Stitch, merge_s = seed.Merge, write_s = seed.Write, total_s = seed.Total, peak_rss_bytes = seed.PeakRss, objects = seed.Objects },
        };
    }

    /// <summary>
    /// Labels from a closed form, so each tile is made alone: cells of about <paramref name="cell"/> whose walls are
    /// warped by smooth waves (so objects are not boxes and runs across faces vary), 1-voxel 0 membranes between them.
    /// Tiles are numbered on their own (ids 1..n in first-seen order), as block-wise inference writes them.
    /// </summary>
    private static long WriteTiles(string dir, Vec3i shape, Vec3i tile, Vec3i cell, IProgress<string> progress, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var cells = new Vec3i(shape.Z / cell.Z + 2, shape.Y / cell.Y + 2, shape.X / cell.X + 2);
        var boxes = Box3.FromShape(shape).Tiles(tile).ToList();
        var seen = new HashSet<long>();
        int k = 0;
        foreach (var box in boxes)
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.Combine(dir, $"seg_{box.Start.Z}_{box.Start.Y}_{box.Start.X}.npy");
            var v = new Volume<uint>(box.Size, box.Start);
            var global = new long[v.Length];
            Parallel.For(0, box.Size.Z, z =>
            {
                int gz = box.Start.Z + z;
                for (int y = 0; y < box.Size.Y; y++)
                {
                    int gy = box.Start.Y + y;
                    double wz = 5 * Math.Sin(gy / 41.0);
                    double wy = 6 * Math.Sin(gz / 13.0 + 0.3);
                    for (int x = 0; x < box.Size.X; x++)
                    {
                        int gx = box.Start.X + x;
                        double fz = (gz + wz + 3 * Math.Sin(gx / 37.0)) / cell.Z + 1;
                        double fy = (gy + wy + 6 * Math.Sin(gx / 29.0)) / cell.Y + 1;
                        double fx = (gx + 6 * Math.Sin(gy / 31.0 + gz / 17.0)) / cell.X + 1;
                        int cz = (int)fz, cy = (int)fy, cx = (int)fx;
                        bool wall = (fy - cy) * cell.Y < 1 || (fx - cx) * cell.X < 1 || (fz - cz) * cell.Z < 1;
                        global[v.Index(z, y, x)] = wall ? 0 : ((long)cz * cells.Y + cy) * cells.X + cx + 1;
                    }
                }
            });
            var local = new Dictionary<long, uint>();
            for (long i = 0; i < global.Length; i++)
            {
                long g = global[i];
                if (g == 0) continue;
                if (!local.TryGetValue(g, out var id)) local[g] = id = (uint)local.Count + 1;
                v.Data[i] = id;
                seen.Add(g);
            }
            NpyFile.Write(path, v);
            progress.Report($"bench stitch: tile {++k}/{boxes.Count} {Path.GetFileName(path)}");
        }
        return seen.Count;
    }

    private static OurRun RunOurs(string dir, string root, Vec3i shape, Vec3i tile, int m, IProgress<string> progress, CancellationToken ct)
    {
        var psi = ChildProcess.Ffn(["stitch", dir, Path.Combine(root, "final_result.tif"), "--original-shape", shape.ToString(),
            "--tile-shape", tile.ToString(), "--merge", "faces", "--min-consecutive-pixels", m.ToString(CultureInfo.InvariantCulture), "--json"]);
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = Execute(psi, ct);
        double wall = clock.Elapsed.TotalSeconds;
        if (code != 0) throw new InvalidOperationException($"ffn stitch failed (exit {code}): {stderr.Trim().Split('\n').LastOrDefault()}");
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
        var e = doc.RootElement;
        var run = new OurRun(wall, e.GetProperty("total_s").GetDouble(), e.GetProperty("read_s").GetDouble(), e.GetProperty("add_s").GetDouble(),
            e.GetProperty("merge_s").GetDouble(), e.GetProperty("write_s").GetDouble(), e.GetProperty("write_load_s").GetDouble(), e.GetProperty("write_output_s").GetDouble(), e.GetProperty("peak_rss_bytes").GetInt64(),
            e.GetProperty("pairs_merged").GetInt64(), e.GetProperty("boundary_voxel_pairs").GetInt64(), e.GetProperty("objects_before").GetInt64(),
            e.GetProperty("objects_after").GetInt64(), e.GetProperty("peak_pending_bytes").GetInt64(), e.GetProperty("peak_slab_bytes").GetInt64());
        progress.Report(string.Create(CultureInfo.InvariantCulture, $"bench stitch: ffn stitch {shape}: {run.Total:F3} s (wall {wall:F3} s), peak {run.PeakRss / 1048576.0:F0} MiB"));
        return run;
    }

    private static SeedRun RunSeed(string python, string dir, string output, Vec3i shape, Vec3i tile, int m, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-", dir, output, shape.ToString(), tile.ToString(), m.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        var (code, stdout, stderr) = Execute(psi, ct, SeedScript);
        if (code != 0) throw new InvalidOperationException($"{python} failed (exit {code}): {stderr.Trim().Split('\n').LastOrDefault()}");
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
        var e = doc.RootElement;
        return new SeedRun(e.GetProperty("stitch").GetDouble(), e.GetProperty("merge").GetDouble(), e.GetProperty("write").GetDouble(),
            e.GetProperty("total").GetDouble(), e.GetProperty("peak_rss").GetInt64(), e.GetProperty("objects").GetInt64());
    }

    private static (int Code, string Out, string Err) Execute(ProcessStartInfo psi, CancellationToken ct, string? stdin = null)
    {
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        using var kill = ct.Register(() => { try { p.Kill(true); } catch (InvalidOperationException) { } });
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var so = p.StandardOutput.ReadToEndAsync(ct);
        var se = p.StandardError.ReadToEndAsync(ct);
        p.WaitForExit();
        ct.ThrowIfCancellationRequested();
        return (p.ExitCode, so.Result, se.Result);
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>
    /// Our transcription of FFN-PyTorch stitch_save.py's algorithm (NumPy in place of CuPy), for a same-run
    /// baseline: tiles in sorted name order into one zero volume, ids offset by the running maximum; per-voxel loops
    /// over every x and y seam with np.all run checks and a min-id mapping (not transitive); slice-by-slice BigTIFF.
    /// argv: tiles dir, output, shape z,y,x, tile z,y,x, m.
    /// </summary>
    private const string SeedScript = """
import sys, os, time, json, resource, numpy as np, tifffile
d, out = sys.argv[1], sys.argv[2]
shape = [int(v) for v in sys.argv[3].split(',')]
tile = [int(v) for v in sys.argv[4].split(',')]
m = int(sys.argv[5])
t0 = time.perf_counter()
vol = np.zeros(shape, np.uint32)
offset = 0
for f in sorted(f for f in os.listdir(d) if f.startswith('seg_') and f.endswith('.npy')):
    z, y, x = [int(v) for v in f[4:-4].split('_')[:3]]
    t = np.load(os.path.join(d, f)).astype(np.uint32)
    t[t > 0] += offset
    vol[z:z + t.shape[0], y:y + t.shape[1], x:x + t.shape[2]] = t
    offset = int(vol.max())
t1 = time.perf_counter()
mapping = {}
Z, Y, X = shape
for x in range(tile[2], X, tile[2]):
    for z in range(Z):
        for y in range(Y):
            a, b = vol[z, y, x - 1], vol[z, y, x]
            if a != b and a != 0 and b != 0 and np.all(vol[z, y, x - m:x] == a) and np.all(vol[z, y, x:x + m] == b):
                lo = min(mapping.get(a, a), mapping.get(b, b))
                mapping[a] = lo
                mapping[b] = lo
for y in range(tile[1], Y, tile[1]):
    for z in range(Z):
        for x in range(X):
            a, b = vol[z, y - 1, x], vol[z, y, x]
            if a != b and a != 0 and b != 0 and np.all(vol[z, y - m:y, x] == a) and np.all(vol[z, y:y + m, x] == b):
                lo = min(mapping.get(a, a), mapping.get(b, b))
                mapping[a] = lo
                mapping[b] = lo
if mapping:
    lut = np.arange(offset + 1, dtype=np.uint32)
    for k, v in mapping.items():
        lut[k] = v
    vol = lut[vol]
t2 = time.perf_counter()
with tifffile.TiffWriter(out, bigtiff=True) as w:
    for z in range(Z):
        w.write(vol[z], contiguous=True)
t3 = time.perf_counter()
objects = len(np.unique(vol)) - 1
print(json.dumps({'stitch': t1 - t0, 'merge': t2 - t1, 'write': t3 - t2, 'total': t3 - t0,
                  'peak_rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 'objects': objects}))
""";
}
