using System.Buffers.Binary;
using System.Text;

namespace Ffn.Model.Checkpoints;

/// <summary>
/// Reads a TensorFlow checkpoint V2 ("tensor bundle") without TensorFlow: the <c>.index</c> file is a LevelDB table
/// (SSTable) mapping variable names to BundleEntryProto messages; the tensors are raw little-endian bytes in the
/// <c>.data-NNNNN-of-NNNNN</c> shards, each checked against its CRC-32C.
/// </summary>
public sealed class TfCheckpointReader
{
    private const ulong TableMagic = 0xdb4775248b80fb57UL;

    private readonly string _prefix;
    private readonly Dictionary<string, Entry> _entries;

    public sealed record Entry(string Name, TfDType DType, long[] Shape, int ShardId, long Offset, long Size, uint? Crc32C);

    public enum TfDType { Invalid = 0, Float = 1, Double = 2, Int32 = 3, UInt8 = 4, Int16 = 5, Int8 = 6, String = 7, Int64 = 9, Bool = 10 }

    private TfCheckpointReader(string prefix, Dictionary<string, Entry> entries, int numShards)
    {
        _prefix = prefix;
        _entries = entries;
        NumShards = numShards;
    }

    public int NumShards { get; }
    public IReadOnlyCollection<Entry> Entries => _entries.Values;

    /// <summary>True when <paramref name="path"/> (a prefix, or its .index/.data file) names a TF checkpoint.</summary>
    public static bool IsCheckpoint(string path) => File.Exists(PrefixOf(path) + ".index");

    public static string PrefixOf(string path)
    {
        if (path.EndsWith(".index", StringComparison.Ordinal)) return path[..^".index".Length];
        int data = path.LastIndexOf(".data-", StringComparison.Ordinal);
        return data >= 0 ? path[..data] : path;
    }

    public static TfCheckpointReader Open(string path)
    {
        var prefix = PrefixOf(path);
        var index = prefix + ".index";
        if (!File.Exists(index)) throw new CheckpointException($"{path}: no TensorFlow checkpoint index {index}");
        var bytes = File.ReadAllBytes(index);
        var entries = new Dictionary<string, Entry>();
        int numShards = 1;
        foreach (var (key, value) in ReadTable(bytes, index))
        {
            if (key.Length == 0)
            {
                numShards = (int)ReadProtoFields(value, index).GetValueOrDefault(1UL, 1UL);
                continue;
            }
            var name = Encoding.UTF8.GetString(key);
            entries[name] = ParseEntry(name, value, index);
        }
        return new TfCheckpointReader(prefix, entries, numShards);
    }

    public Entry this[string name] =>
        _entries.TryGetValue(name, out var e) ? e
        : throw new CheckpointException($"{_prefix}: no variable '{name}' in the checkpoint");

    public bool Contains(string name) => _entries.ContainsKey(name);

    public float[] ReadFloat(string name)
    {
        var e = this[name];
        if (e.DType != TfDType.Float) throw new CheckpointException($"{_prefix}: variable '{name}' is {e.DType}, expected float32");
        var raw = ReadBytes(e);
        var result = new float[raw.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4));
        return result;
    }

    public long ReadInt64Scalar(string name)
    {
        var e = this[name];
        var raw = ReadBytes(e);
        return e.DType switch
        {
            TfDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw),
            TfDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw),
            _ => throw new CheckpointException($"{_prefix}: variable '{name}' is {e.DType}, expected an integer"),
        };
    }

    public byte[] ReadBytes(Entry e)
    {
        var shard = $"{_prefix}.data-{e.ShardId:D5}-of-{NumShards:D5}";
        if (!File.Exists(shard)) throw new CheckpointException($"{shard}: checkpoint data shard is missing");
        using var fs = new FileStream(shard, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (e.Offset + e.Size > fs.Length)
            throw new CheckpointException($"{shard}: truncated (variable '{e.Name}' needs bytes {e.Offset}..{e.Offset + e.Size}, file has {fs.Length})");
        var buf = new byte[e.Size];
        fs.Position = e.Offset;
        fs.ReadExactly(buf);
        if (e.Crc32C is uint expected && Crc32C.Mask(Crc32C.Compute(buf)) != expected)
            throw new CheckpointException($"{shard}: CRC-32C mismatch for variable '{e.Name}' (corrupt checkpoint)");
        return buf;
    }

    private static Entry ParseEntry(string name, byte[] value, string source)
    {
        var dtype = TfDType.Invalid;
        var shape = new List<long>();
        int shard = 0;
        long offset = 0, size = 0;
        uint? crc = null;
        int p = 0;
        while (p < value.Length)
        {
            ulong tag = ReadVarint(value, ref p, source);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (field, wire)
            {
                case (1, 0): dtype = (TfDType)ReadVarint(value, ref p, source); break;
                case (2, 2):
                {
                    int len = (int)ReadVarint(value, ref p, source);
                    shape = ParseShape(value.AsSpan(p, len), source);
                    p += len;
                    break;
                }
                case (3, 0): shard = (int)ReadVarint(value, ref p, source); break;
                case (4, 0): offset = (long)ReadVarint(value, ref p, source); break;
                case (5, 0): size = (long)ReadVarint(value, ref p, source); break;
                case (6, 5): crc = BinaryPrimitives.ReadUInt32LittleEndian(value.AsSpan(p)); p += 4; break;
                default: SkipField(value, ref p, wire, source); break;
            }
        }
        return new Entry(name, dtype, shape.ToArray(), shard, offset, size, crc);
    }

    /// <summary>TensorShapeProto: repeated Dim dim = 2 { int64 size = 1; string name = 2; }.</summary>
    private static List<long> ParseShape(ReadOnlySpan<byte> msg, string source)
    {
        var dims = new List<long>();
        var arr = msg.ToArray();
        int p = 0;
        while (p < arr.Length)
        {
            ulong tag = ReadVarint(arr, ref p, source);
            if (tag >> 3 == 2 && (tag & 7) == 2)
            {
                int len = (int)ReadVarint(arr, ref p, source);
                int end = p + len;
                long size = 0;
                while (p < end)
                {
                    ulong t = ReadVarint(arr, ref p, source);
                    if (t >> 3 == 1 && (t & 7) == 0) size = (long)ReadVarint(arr, ref p, source);
                    else SkipField(arr, ref p, (int)(t & 7), source);
                }
                dims.Add(size);
            }
            else SkipField(arr, ref p, (int)(tag & 7), source);
        }
        return dims;
    }

    /// <summary>The varint fields of a small message, by field number (BundleHeaderProto: 1 num_shards).</summary>
    private static Dictionary<ulong, ulong> ReadProtoFields(byte[] msg, string source)
    {
        var d = new Dictionary<ulong, ulong>();
        int p = 0;
        while (p < msg.Length)
        {
            ulong tag = ReadVarint(msg, ref p, source);
            if ((tag & 7) == 0) d[tag >> 3] = ReadVarint(msg, ref p, source);
            else SkipField(msg, ref p, (int)(tag & 7), source);
        }
        return d;
    }

    private static void SkipField(byte[] b, ref int p, int wire, string source)
    {
        switch (wire)
        {
            case 0: ReadVarint(b, ref p, source); break;
            case 1: p += 8; break;
            case 2: { int len = (int)ReadVarint(b, ref p, source); p += len; break; }
            case 5: p += 4; break;
            default: throw new CheckpointException($"{source}: malformed protobuf (wire type {wire})");
        }
        if (p > b.Length) throw new CheckpointException($"{source}: truncated protobuf");
    }

    private static ulong ReadVarint(byte[] b, ref int p, string source)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (p >= b.Length) throw new CheckpointException($"{source}: truncated varint");
            byte x = b[p++];
            v |= (ulong)(x & 0x7f) << shift;
            if ((x & 0x80) == 0) return v;
        }
        throw new CheckpointException($"{source}: malformed varint");
    }

    /// <summary>All key/value pairs of a LevelDB table, in key order: footer -> index block -> data blocks.</summary>
    private static IEnumerable<(byte[] Key, byte[] Value)> ReadTable(byte[] file, string source)
    {
        if (file.Length < 48 || BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(file.Length - 8)) != TableMagic)
            throw new CheckpointException($"{source}: not a TensorFlow checkpoint index (bad table magic)");
        int p = file.Length - 48;
        ReadVarint(file, ref p, source); // metaindex offset
        ReadVarint(file, ref p, source); // metaindex size
        long indexOffset = (long)ReadVarint(file, ref p, source);
        long indexSize = (long)ReadVarint(file, ref p, source);
        foreach (var (_, handle) in ReadBlock(file, indexOffset, indexSize, source))
        {
            int h = 0;
            long off = (long)ReadVarint(handle, ref h, source);
            long size = (long)ReadVarint(handle, ref h, source);
            foreach (var kv in ReadBlock(file, off, size, source)) yield return kv;
        }
    }

    private static List<(byte[], byte[])> ReadBlock(byte[] file, long offset, long size, string source)
    {
        if (offset < 0 || offset + size + 5 > file.Length) throw new CheckpointException($"{source}: truncated table block");
        var block = file.AsSpan((int)offset, (int)size);
        byte type = file[offset + size];
        if (type != 0) throw new CheckpointException($"{source}: compressed table blocks (type {type}) are not supported");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(offset + size + 1)));
        if (Crc32C.Mask(Crc32C.Compute(file.AsSpan((int)offset, (int)size + 1))) != stored)
            throw new CheckpointException($"{source}: table block checksum mismatch (corrupt index)");
        int numRestarts = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[^4..]);
        int limit = block.Length - 4 - 4 * numRestarts;
        var arr = block.ToArray();
        var result = new List<(byte[], byte[])>();
        var last = Array.Empty<byte>();
        int p = 0;
        while (p < limit)
        {
            int shared = (int)ReadVarint(arr, ref p, source);
            int nonShared = (int)ReadVarint(arr, ref p, source);
            int valueLen = (int)ReadVarint(arr, ref p, source);
            if (shared > last.Length || p + nonShared + valueLen > limit)
                throw new CheckpointException($"{source}: malformed table entry");
            var key = new byte[shared + nonShared];
            Array.Copy(last, key, shared);
            Array.Copy(arr, p, key, shared, nonShared);
            p += nonShared;
            var value = arr.AsSpan(p, valueLen).ToArray();
            p += valueLen;
            result.Add((key, value));
            last = key;
        }
        return result;
    }
}
