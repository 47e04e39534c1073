using Ffn.Model.Geometry;
using Ffn.Model.Volumes.Npy;
using PureHDF;
using PureHDF.Filters;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace Ffn.Model.Volumes.Hdf5;

/// <summary>
/// Writes one HDF5 file holding one or more 3D (z, y, x) datasets, chunked and deflate (gzip) compressed, that
/// h5py reads back unchanged. Declare every dataset with <see cref="AddDataset"/>, write its blocks in any order
/// with <see cref="WriteBlock"/>, then <see cref="Commit"/>. The file is written through <see cref="AtomicFile"/>:
/// under a temporary name in the target directory, flushed to disk and renamed onto the target path by Commit, so
/// readers never see a half-written file; disposing without Commit deletes the temporary file.
/// </summary>
/// <remarks>
/// <para>
/// Streaming: PureHDF 2.2 can write a chunked dataset block by block without holding the volume in memory.
/// <c>H5File.BeginWrite</c> lays out the file (headers, chunk index) for datasets declared with a shape but no
/// data, and <c>H5NativeWriter.Write</c> with a hyperslab file selection copies one block into the chunk buffers it
/// touches. Its default chunk cache (<c>SimpleWritingChunkCache</c>) keeps every chunk until the writer is
/// disposed, i.e. the whole volume, and its fixed-array chunk index refuses to write a chunk twice. So each
/// dataset gets a <see cref="CompletingChunkCache"/>: this class counts the voxels written into every chunk and
/// compresses and writes a chunk to disk as soon as it is full. Memory then holds only the chunks that blocks have
/// partly filled (none when blocks are unions of whole chunks, one band of chunks when blocks arrive in z order).
/// Chunks that no block touches are never stored and read back as 0 (HDF5's fill value). Measured for a
/// 256x512x512 uint32 volume (256 MiB) in 64^3 chunks, live managed memory after a full GC per block: 4 MiB with
/// 64x128x128 blocks, 76 MiB with unaligned 50x100x100 blocks in z order, 235 MiB with those blocks shuffled,
/// against 260 MiB with PureHDF's default cache (the probe program and commands are in the helper's report).
/// </para>
/// <para>
/// Compression: PureHDF's deflate filter goes through .NET's ZLibStream, which offers only zlib levels 1
/// (fastest), 6 (optimal) and 9 (smallest); a requested gzip level 1-9 is rounded to the nearest of these and the
/// file records that level. Level 0 writes chunked data without a filter.
/// </para>
/// <para>
/// All datasets must be declared before the first WriteBlock, because PureHDF writes the file's structure up
/// front. Calls are serialized by a lock, so blocks may come from several threads (the compression of a completed
/// chunk then runs under that lock).
/// </para>
/// </remarks>
public sealed class Hdf5VolumeWriter : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, PendingDataset> _datasets = new(StringComparer.Ordinal);
    private AtomicFile.Pending? _file;
    private H5NativeWriter? _writer;
    private bool _done;

    private Hdf5VolumeWriter(string path, AtomicFile.Pending file)
    {
        Path = path;
        _file = file;
    }

    /// <summary>The final path, which exists only after <see cref="Commit"/>.</summary>
    public string Path { get; }

    /// <summary>Starts a file that Commit will place at <paramref name="path"/> (replacing any file there).</summary>
    public static Hdf5VolumeWriter Create(string path)
    {
        if (Directory.Exists(System.IO.Path.GetFullPath(path))) throw new VolumeException($"{path}: is a directory");
        try
        {
            // PureHDF seeks back and reads what it wrote: read-write access.
            return new Hdf5VolumeWriter(path, AtomicFile.Begin(path, FileAccess.ReadWrite, 1 << 16));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException($"{path}: cannot create ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    /// <summary>
    /// Declares a dataset <paramref name="name"/> (<c>raw</c> or <c>group/raw</c>) of <paramref name="shape"/>.
    /// <paramref name="chunks"/> defaults to min(shape, 64) per axis; <paramref name="gzipLevel"/> is 0 (none) to 9.
    /// Attribute values may be int, long, uint, ulong, short, ushort, byte, sbyte, float, double or bool scalars,
    /// 1D arrays of those, numeric <see cref="NdArray"/>s (any shape), string, string[] (variable-length UTF-8,
    /// h5py's str) or <see cref="Vec3i"/> (stored as int[3] in z, y, x order); h5py reads each back with the
    /// matching NumPy dtype (int32, int64, float64, bool).
    /// </summary>
    public void AddDataset(string name, DType dtype, Vec3i shape, Vec3i? chunks = null, int gzipLevel = 4,
        IReadOnlyDictionary<string, object>? attributes = null)
    {
        lock (_gate)
        {
            EnsureOpen();
            if (_writer is not null)
                throw new InvalidOperationException($"{Path}: add every dataset before the first WriteBlock");
            var key = NormalizeName(name);
            if (_datasets.ContainsKey(key)) throw new ArgumentException($"{Path}: dataset '{key}' is already declared", nameof(name));
            if (_datasets.Keys.Any(k => k.StartsWith(key + "/", StringComparison.Ordinal) || key.StartsWith(k + "/", StringComparison.Ordinal)))
                throw new ArgumentException($"{Path}: dataset '{key}' collides with a group of the same name", nameof(name));
            if (!shape.AllPositive) throw new ArgumentException($"{Path}:{key}: shape must be positive, got {shape}", nameof(shape));
            if (gzipLevel is < 0 or > 9) throw new ArgumentOutOfRangeException(nameof(gzipLevel), gzipLevel, "gzip level must be 0..9");
            // PureHDF requires chunk <= shape on every axis.
            var c = Vec3i.Min(chunks ?? Vec3i.Fill(64), shape);
            if (!c.AllPositive) throw new ArgumentException($"{Path}:{key}: chunk shape must be positive, got {chunks}", nameof(chunks));
            if (c.Product * dtype.Size() > int.MaxValue / 2)
                throw new ArgumentException($"{Path}:{key}: chunk {c} of {dtype.Name()} is too large", nameof(chunks));
            var converted = attributes?.ToDictionary(kv => kv.Key, kv => ConvertAttribute(key, kv.Key, kv.Value));
            _datasets.Add(key, new PendingDataset(key, dtype, shape, c, gzipLevel, converted));
        }
    }

    /// <summary>
    /// Writes <paramref name="block"/> at block.Offset into dataset <paramref name="name"/>. Blocks may come in any
    /// order but each voxel may be written only once (a rewrite of a flushed chunk throws).
    /// </summary>
    public void WriteBlock(string name, Volume block) => WriteAt(name, block, block.Offset);

    private void WriteAt(string name, Volume block, Vec3i offset)
    {
        lock (_gate)
        {
            EnsureOpen();
            var key = NormalizeName(name);
            if (!_datasets.TryGetValue(key, out var ds)) throw new ArgumentException($"{Path}: no dataset '{key}' was declared", nameof(name));
            if (block.DType != ds.DType)
                throw new ArgumentException($"{Path}:{key}: block is {block.DType.Name()}, dataset is {ds.DType.Name()}", nameof(block));
            var box = new Box3(offset, block.Shape);
            if (!Box3.FromShape(ds.Shape).Contains(box))
                throw new ArgumentException($"{Path}:{key}: block {box} lies outside the dataset shape {ds.Shape}", nameof(block));
            if (block.Length == 0) return;
            Start();
            ds.CheckNotRewritten(box, Path);
            var selection = new HyperslabSelection(
                rank: 3,
                starts: [(ulong)offset.Z, (ulong)offset.Y, (ulong)offset.X],
                blocks: [(ulong)block.Shape.Z, (ulong)block.Shape.Y, (ulong)block.Shape.X]);
            try
            {
                ds.Write(_writer!, block, selection);
                ds.CountAndFlush(box);
            }
            catch (IOException e)
            {
                // Disk full and the like: the user's to fix. The file is unusable now; Dispose removes it.
                throw new VolumeException($"{Path}: cannot write ({e.Message.ReplaceLineEndings(" ")})", e);
            }
        }
    }

    /// <summary>Writes the remaining chunks and the chunk indexes, closes the file and renames it onto <see cref="Path"/>.</summary>
    public void Commit()
    {
        lock (_gate)
        {
            EnsureOpen();
            try
            {
                Start();
                // Disposing the writer flushes the remaining chunks and writes the chunk indexes and superblock.
                _writer!.Dispose();
                _writer = null;
                _file!.Commit();
                _file = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Abort();
                throw new VolumeException($"{Path}: cannot write ({e.Message.ReplaceLineEndings(" ")})", e);
            }
            catch
            {
                Abort();
                throw;
            }
            _done = true;
        }
    }

    /// <summary>Without a prior <see cref="Commit"/>, discards everything: no file at Path, no temporary file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_done) return;
            Abort();
        }
    }

    /// <summary>Writes <paramref name="volume"/> as the only dataset of a new file in one call.</summary>
    public static void WriteVolume(string path, string dataset, Volume volume, Vec3i? chunks = null, int gzipLevel = 4,
        IReadOnlyDictionary<string, object>? attributes = null)
    {
        using var w = Create(path);
        w.AddDataset(dataset, volume.DType, volume.Shape, chunks, gzipLevel, attributes);
        // The volume is the whole dataset whatever its Offset says.
        w.WriteAt(dataset, volume, Vec3i.Zero);
        w.Commit();
    }

    private void EnsureOpen()
    {
        if (_done || _file is null) throw new ObjectDisposedException(nameof(Hdf5VolumeWriter), $"{Path}: writer is committed or disposed");
    }

    private void Abort()
    {
        _done = true;
        // The writer's Dispose would write indexes and a superblock into a file that is deleted anyway; the stream
        // is ours (BeginWrite(stream) leaves it open), so discarding the temporary file is enough.
        _writer = null;
        _file?.Dispose();
        _file = null;
    }

    /// <summary>Lays out the file for all declared datasets (PureHDF writes headers and chunk indexes up front).</summary>
    private void Start()
    {
        if (_writer is not null) return;
        var file = new H5File();
        foreach (var ds in _datasets.Values)
        {
            H5Group group = file;
            var parts = ds.Name.Split('/');
            foreach (var part in parts[..^1])
            {
                if (!group.TryGetValue(part, out var child))
                {
                    child = new H5Group();
                    group[part] = child;
                }
                group = (H5Group)child;
            }
            group[parts[^1]] = ds.CreateH5Dataset();
        }
        _writer = file.BeginWrite(_file!.Stream);
    }

    private static string NormalizeName(string name)
    {
        var n = name.Trim().Trim('/');
        if (n.Length == 0 || n.Split('/').Any(p => p.Length == 0 || p == "." || p == ".."))
            throw new ArgumentException($"invalid dataset name '{name}'", nameof(name));
        return n;
    }

    private static object ConvertAttribute(string dataset, string name, object value) => value switch
    {
        Vec3i v => v.ToArray(),
        string or string[] => value,
        // PureHDF would store bool as uint8; the enum makes h5py read numpy bools.
        bool b => b ? H5pyBool.TRUE : H5pyBool.FALSE,
        bool[] b => b.Select(x => x ? H5pyBool.TRUE : H5pyBool.FALSE).ToArray(),
        int or long or uint or ulong or short or ushort or byte or sbyte or float or double => value,
        int[] or long[] or uint[] or ulong[] or short[] or ushort[] or byte[] or sbyte[] or float[] or double[] => value,
        // N-D numeric arrays (google/ffn's bounding_boxes is int64 [n, 2, 3]); h5py reads them back with that shape.
        NdArray { DType: not DType.Bool } a => new H5Attribute(a.Data, a.Shape.Select(d => (ulong)d).ToArray()),
        _ => throw new ArgumentException(
            $"attribute '{name}' of dataset '{dataset}': unsupported value type {value.GetType().Name}", nameof(value)),
    };

    /// <summary>
    /// numpy bool as h5py stores it: an enum with members FALSE = 0 and TRUE = 1, which h5py maps back to bool
    /// whatever the base type. h5py uses int8; PureHDF 2.2 fails to encode sbyte enums, so the base is uint8.
    /// </summary>
    private enum H5pyBool : byte
    {
        FALSE = 0,
        TRUE = 1,
    }

    /// <summary>A declared dataset, its PureHDF counterpart and the per-chunk fill counts.</summary>
    private sealed class PendingDataset(string name, DType dtype, Vec3i shape, Vec3i chunks, int gzipLevel,
        Dictionary<string, object>? attributes)
    {
        private readonly CompletingChunkCache _cache = new();
        private readonly Vec3i _grid = new(CeilDiv(shape.Z, chunks.Z), CeilDiv(shape.Y, chunks.Y), CeilDiv(shape.X, chunks.X));
        private int[]? _filled;
        private H5Dataset? _h5;

        public string Name => name;
        public DType DType => dtype;
        public Vec3i Shape => shape;

        public H5Dataset CreateH5Dataset()
        {
            ulong[] dims = [(ulong)shape.Z, (ulong)shape.Y, (ulong)shape.X];
            uint[] chunkDims = [(uint)chunks.Z, (uint)chunks.Y, (uint)chunks.X];
            // An empty filter list (not null) keeps H5WriteOptions' file-wide defaults from applying.
            var filters = gzipLevel == 0 ? new List<H5Filter>()
                : [new H5Filter(DeflateFilter.Id, new() { [DeflateFilter.COMPRESSION_LEVEL] = ZlibLevel(gzipLevel) })];
            var creation = new H5DatasetCreation(ChunkCache: _cache, Filters: filters);
            _h5 = dtype switch
            {
                DType.Bool => new H5Dataset<H5pyBool[]>(dims, chunkDims, creation),
                DType.UInt8 => new H5Dataset<byte[]>(dims, chunkDims, creation),
                DType.UInt16 => new H5Dataset<ushort[]>(dims, chunkDims, creation),
                DType.UInt32 => new H5Dataset<uint[]>(dims, chunkDims, creation),
                DType.UInt64 => new H5Dataset<ulong[]>(dims, chunkDims, creation),
                DType.Int32 => new H5Dataset<int[]>(dims, chunkDims, creation),
                DType.Int64 => new H5Dataset<long[]>(dims, chunkDims, creation),
                DType.Float32 => new H5Dataset<float[]>(dims, chunkDims, creation),
                DType.Float64 => new H5Dataset<double[]>(dims, chunkDims, creation),
                _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
            };
            if (attributes is not null) _h5.Attributes = new Dictionary<string, object>(attributes);
            _filled = new int[checked((int)_grid.Product)];
            return _h5;
        }

        public void Write(H5NativeWriter writer, Volume block, Selection fileSelection)
        {
            switch (block)
            {
                case Volume<bool> v:
                    var e = new H5pyBool[v.Data.Length];
                    for (int i = 0; i < e.Length; i++) e[i] = v.Data[i] ? H5pyBool.TRUE : H5pyBool.FALSE;
                    writer.Write((H5Dataset<H5pyBool[]>)_h5!, e, fileSelection: fileSelection);
                    break;
                case Volume<byte> v: writer.Write((H5Dataset<byte[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<ushort> v: writer.Write((H5Dataset<ushort[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<uint> v: writer.Write((H5Dataset<uint[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<ulong> v: writer.Write((H5Dataset<ulong[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<int> v: writer.Write((H5Dataset<int[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<long> v: writer.Write((H5Dataset<long[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<float> v: writer.Write((H5Dataset<float[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                case Volume<double> v: writer.Write((H5Dataset<double[]>)_h5!, v.Data, fileSelection: fileSelection); break;
                default: throw new ArgumentOutOfRangeException(nameof(block), block.DType, "no HDF5 write for this dtype");
            }
        }

        /// <summary>Refuses blocks that overlap a chunk already flushed to disk (PureHDF cannot rewrite a chunk).</summary>
        public void CheckNotRewritten(Box3 box, string path)
        {
            foreach (var (index, chunkBox) in ChunksOf(box))
            {
                long overlap = chunkBox.Intersect(box).Volume;
                if (_filled![index] + overlap > chunkBox.Volume)
                    throw new InvalidOperationException(
                        $"{path}:{name}: block {box} rewrites voxels of chunk {chunkBox} that were already written");
            }
        }

        /// <summary>Adds the block's voxels to each chunk's count and flushes the chunks that are now complete.</summary>
        public void CountAndFlush(Box3 box)
        {
            foreach (var (index, chunkBox) in ChunksOf(box))
            {
                _filled![index] += (int)chunkBox.Intersect(box).Volume;
                if (_filled[index] == chunkBox.Volume) _cache.Complete((ulong)index);
            }
        }

        /// <summary>Chunks meeting <paramref name="box"/>: PureHDF's row-major linear index and the chunk's box clipped to the shape.</summary>
        private IEnumerable<(int Index, Box3 ChunkBox)> ChunksOf(Box3 box)
        {
            var lo = new Vec3i(box.Start.Z / chunks.Z, box.Start.Y / chunks.Y, box.Start.X / chunks.X);
            var hi = new Vec3i((box.End.Z - 1) / chunks.Z, (box.End.Y - 1) / chunks.Y, (box.End.X - 1) / chunks.X);
            for (int z = lo.Z; z <= hi.Z; z++)
            for (int y = lo.Y; y <= hi.Y; y++)
            for (int x = lo.X; x <= hi.X; x++)
            {
                var start = new Vec3i(z * chunks.Z, y * chunks.Y, x * chunks.X);
                var clipped = Box3.FromStartEnd(start, Vec3i.Min(start + chunks, shape));
                yield return ((z * _grid.Y + y) * _grid.X + x, clipped);
            }
        }

        private static int CeilDiv(int a, int b) => (a + b - 1) / b;

        private static int ZlibLevel(int gzip) => gzip switch { <= 3 => 1, <= 7 => 6, _ => 9 };
    }

    /// <summary>
    /// A chunk cache that keeps a chunk until the owner says it is complete, then compresses and writes it at once.
    /// Chunks still open at the end are written by PureHDF's final Flush.
    /// </summary>
    private sealed class CompletingChunkCache : IWritingChunkCache
    {
        private readonly Dictionary<ulong, (Memory<byte> Chunk, Action<ulong, Memory<byte>> Writer)> _open = new();

        public int OpenChunks => _open.Count;

        public Memory<byte> GetChunk(ulong chunkIndex, Func<Memory<byte>> chunkAllocator, Action<ulong, Memory<byte>> chunkWriter)
        {
            if (!_open.TryGetValue(chunkIndex, out var entry))
            {
                entry = (chunkAllocator(), chunkWriter);
                _open[chunkIndex] = entry;
            }
            return entry.Chunk;
        }

        public void Complete(ulong chunkIndex)
        {
            if (_open.Remove(chunkIndex, out var entry)) entry.Writer(chunkIndex, entry.Chunk);
        }

        public void Flush(Action<ulong, Memory<byte>> chunkWriter)
        {
            foreach (var (index, entry) in _open) chunkWriter(index, entry.Chunk);
            _open.Clear();
        }
    }
}
