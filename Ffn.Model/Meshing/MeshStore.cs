using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Zarr;

namespace Ffn.Model.Meshing;

/// <summary>
/// A run's object meshes, cached in RUN_DIR/meshes as a Neuroglancer precomputed legacy mesh folder
/// (<see cref="LegacyMeshFormat"/>) beside index.json (<see cref="ObjectIndex"/> of the meshed level) and stamp.json.
/// The stamp records what the meshes were made from (the sizes and modification times of the segmentation's OME
/// metadata and of its level-0 and meshed-level .zarray, which a rewrite of final_result.zarr replaces) and how
/// (level, smoothing); when it differs the folder's meshes are deleted and made again on demand. Every file is
/// written atomically, a fragment before its manifest, so a manifest means its mesh is complete.
/// Thread-safe: concurrent requests for one id build it once, the others wait for it.
/// </summary>
public sealed class MeshStore : IDisposable
{
    public const string FolderName = "meshes", IndexFile = "index.json", StampFile = "stamp.json";
    private const int Format = 1;

    private readonly ConcurrentDictionary<ulong, Lazy<MeshResult>> _builds = new();
    private readonly ReaderPool _labels;
    private long _built;

    private MeshStore(string folder, MeshOptions options, ReaderPool labels, VoxelTransform transform, ObjectIndex index)
    {
        Folder = folder;
        Options = options;
        _labels = labels;
        Transform = transform;
        Index = index;
    }

    /// <summary>The mesh folder (Neuroglancer's legacy mesh source), RUN_DIR/meshes.</summary>
    public string Folder { get; }

    public MeshOptions Options { get; }

    /// <summary>Where the meshed level's voxels lie (nanometres); mesh vertices are in the same frame.</summary>
    public VoxelTransform Transform { get; }

    /// <summary>The objects of the meshed level, largest first.</summary>
    public ObjectIndex Index { get; }

    /// <summary>The label array meshed, for messages.</summary>
    public string Source => _labels.Source;

    /// <summary>Meshes this store has computed (not those found in the cache).</summary>
    public long MeshesBuilt => Interlocked.Read(ref _built);

    /// <summary>The pyramid levels of RUN_DIR/final_result.zarr's segmentation.</summary>
    /// <exception cref="InputException">no final_result.zarr with a finished segmentation.</exception>
    public static IReadOnlyList<OmeMultiscale.Level> Levels(string runDir) => OmeMultiscale.Read(LabelsDir(runDir));

    /// <summary>
    /// Opens (creating or invalidating as the stamp says) RUN_DIR/meshes, and reads or builds its object index.
    /// </summary>
    /// <exception cref="InputException">no run directory, no final_result.zarr segmentation, or no such level.</exception>
    public static MeshStore Open(string runDir, MeshOptions options, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        if (!Directory.Exists(runDir)) throw new InputException($"{runDir}: no such run directory");
        var labelsDir = LabelsDir(runDir);
        var levels = Levels(runDir);
        if (options.Level < 0 || options.Level >= levels.Count)
            throw new InputException($"mesh level {options.Level}: {labelsDir} has level{(levels.Count == 1 ? " 0 only" : $"s 0 to {levels.Count - 1}")}");
        var level = levels[options.Level];
        var arrayDir = Path.Combine(labelsDir, level.Path);
        var pool = new ReaderPool(() => ZarrVolumeReader.Open(arrayDir, arrayDir));
        try
        {
            LabelDType.Require(pool);
            var folder = Path.Combine(runDir, FolderName);
            Directory.CreateDirectory(folder);
            var stamp = Stamp(labelsDir, levels[0].Path, level.Path, options);
            var stampPath = Path.Combine(folder, StampFile);
            if (!File.Exists(stampPath) || File.ReadAllText(stampPath) != stamp)
            {
                Clear(folder);
                AtomicFile.WriteAllText(stampPath, stamp);
            }
            var infoPath = Path.Combine(folder, LegacyMeshFormat.InfoFile);
            if (!File.Exists(infoPath)) AtomicFile.WriteAllText(infoPath, LegacyMeshFormat.InfoJson);
            var indexPath = Path.Combine(folder, IndexFile);
            ObjectIndex index;
            if (File.Exists(indexPath))
                index = ObjectIndex.Read(indexPath);
            else
            {
                index = ObjectIndex.Build(pool, options.Threads, progress, ct);
                AtomicFile.Write(indexPath, s => index.Write(s, new Dictionary<string, object> { ["level"] = options.Level, ["array"] = arrayDir }));
            }
            return new MeshStore(folder, options, pool, level.Transform, index);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    private static string LabelsDir(string runDir)
    {
        var dir = Path.Combine(runDir, "final_result.zarr", "labels", OmeZarrImage.LabelsName);
        if (!Directory.Exists(dir))
            throw new InputException($"{runDir}: no final_result.zarr segmentation ({dir}); write it with `ffn export {runDir} --to zarr`");
        return dir;
    }

    /// <summary>What the meshes depend on, as JSON: equal stamps mean the cached meshes are current.</summary>
    private static string Stamp(string labelsDir, string level0, string level, MeshOptions options)
    {
        string Of(string path)
        {
            var f = new FileInfo(path);
            return f.Exists ? string.Create(CultureInfo.InvariantCulture, $"{f.Length} bytes, modified {f.LastWriteTimeUtc:O}") : "missing";
        }
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["format"] = Format,
            ["level"] = options.Level,
            ["smooth"] = options.Smooth,
            ["attributes"] = Of(Path.Combine(labelsDir, ZarrGroup.AttributesFile)),
            ["level0"] = Of(Path.Combine(labelsDir, level0, ZarrArrayMeta.FileName)),
            ["meshed_level"] = Of(Path.Combine(labelsDir, level, ZarrArrayMeta.FileName)),
        }, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Deletes what earlier meshes left: manifests, fragments, the index, temporaries.</summary>
    private static void Clear(string folder)
    {
        foreach (var f in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(f);
            if (name.EndsWith(":0", StringComparison.Ordinal) || name.EndsWith(".frag", StringComparison.Ordinal) || name == IndexFile
                || AtomicFile.IsTemporary(f))
                AtomicFile.TryDelete(f);
        }
    }

    public string ManifestPath(ulong id) => Path.Combine(Folder, LegacyMeshFormat.ManifestName(id));

    public string FragmentPath(ulong id) => Path.Combine(Folder, LegacyMeshFormat.FragmentName(id));

    /// <summary>The path of object <paramref name="id"/>'s fragment file, meshing it first unless cached.</summary>
    /// <exception cref="InputException">no such object at the meshed level.</exception>
    public string GetOrBuild(ulong id, CancellationToken ct = default) => Ensure(id, ct).Path;

    public Task<string> GetOrBuildAsync(ulong id, CancellationToken ct = default) => Task.Run(() => GetOrBuild(id, ct), ct);

    /// <summary>Object <paramref name="id"/>'s manifest (the JSON of the file <c>ID:0</c>), meshing it first unless cached.</summary>
    public string Manifest(ulong id, CancellationToken ct = default)
    {
        Ensure(id, ct);
        return LegacyMeshFormat.ManifestJson(id);
    }

    /// <summary>A mesh as stored: its fragment file, sizes, and whether this call's store computed it.</summary>
    public sealed record MeshResult(ulong Id, string Path, int Vertices, int Triangles, long Bytes, bool Built);

    /// <summary>
    /// Object <paramref name="id"/>'s mesh, made once however many threads ask at the same time; its sub-blocks are
    /// meshed on the store's threads.
    /// </summary>
    public MeshResult Ensure(ulong id, CancellationToken ct = default) => Ensure(id, Options.Threads, ct);

    private MeshResult Ensure(ulong id, int threads, CancellationToken ct)
    {
        if (!Index.TryGet(id, out var entry)) throw new InputException($"object {id}: not in {_labels.Source}");
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var lazy = _builds.GetOrAdd(id, _ => new Lazy<MeshResult>(() => Load(entry) ?? Build(entry, threads, ct)));
            try
            {
                return lazy.Value;
            }
            catch (Exception e)
            {
                // A failed build is not remembered; one cancelled by another caller is retried by this one.
                _builds.TryRemove(KeyValuePair.Create(id, lazy));
                if (e is OperationCanceledException && !ct.IsCancellationRequested) continue;
                throw;
            }
        }
    }

    private MeshResult? Load(ObjectIndex.Entry entry)
    {
        var fragment = FragmentPath(entry.Id);
        if (!File.Exists(ManifestPath(entry.Id)) || !File.Exists(fragment)) return null;
        var (v, t) = LegacyMeshFormat.ReadCounts(fragment);
        return new MeshResult(entry.Id, fragment, v, t, new FileInfo(fragment).Length, false);
    }

    private MeshResult Build(ObjectIndex.Entry entry, int threads, CancellationToken ct)
    {
        var mesh = ObjectMesher.Mesh(_labels, entry.Id, entry.Box, Transform, Options.BlockSize, threads, ct);
        mesh = TaubinSmoothing.Apply(mesh, Options.Smooth);
        var fragment = FragmentPath(entry.Id);
        // Not flushed to disk: a cache, and a rename still shows readers only whole files.
        AtomicFile.Write(fragment, s => LegacyMeshFormat.Write(s, mesh), durable: false);
        AtomicFile.Write(ManifestPath(entry.Id), s =>
        {
            using var w = new StreamWriter(s, leaveOpen: true);
            w.Write(LegacyMeshFormat.ManifestJson(entry.Id));
        }, durable: false);
        Interlocked.Increment(ref _built);
        return new MeshResult(entry.Id, fragment, mesh.VertexCount, mesh.TriangleCount, LegacyMeshFormat.FragmentBytes(mesh), true);
    }

    /// <summary>What <see cref="BuildAll"/> did.</summary>
    public sealed record Summary(int Objects, int Built, int Reused, long Vertices, long Triangles, long Bytes, double Seconds, MeshResult? Largest);

    /// <summary>Makes sure every one of <paramref name="ids"/> has its mesh, in the order given, on the store's threads.</summary>
    public Summary BuildAll(IReadOnlyList<ulong> ids, IProgress<string>? progress, CancellationToken ct)
    {
        foreach (var id in ids)
            if (!Index.Contains(id)) throw new InputException($"object {id}: not in {_labels.Source}");
        var clock = Stopwatch.StartNew();
        var meter = new ProgressMeter("mesh", "objects", ids.Count, progress);
        var results = new MeshResult[ids.Count];
        // Taken in the order given (largest first, as the index lists them, keeps the longest builds from starting
        // last). One thread per object: objects at once bound memory by the thread count, as sub-blocks at once would.
        var order = System.Collections.Concurrent.Partitioner.Create(Enumerable.Range(0, ids.Count), EnumerablePartitionerOptions.NoBuffering);
        Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = Options.Threads, CancellationToken = ct }, i =>
        {
            results[i] = Ensure(ids[i], 1, ct);
            meter.Add(1);
        });
        int built = results.Count(r => r.Built);
        return new Summary(ids.Count, built, ids.Count - built, results.Sum(r => (long)r.Vertices), results.Sum(r => (long)r.Triangles),
            results.Sum(r => r.Bytes), clock.Elapsed.TotalSeconds, results.Length == 0 ? null : results.MaxBy(r => r.Triangles));
    }

    public void Dispose() => _labels.Dispose();
}
