using System.Buffers.Binary;
using System.IO.Compression;
using ZstdSharp;

namespace Ffn.Model.Volumes.Zarr;

/// <summary>
/// Decodes Blosc1 frames, the format numcodecs.Blosc (c-blosc 1.x) writes for Zarr v2 chunks: a 16-byte header
/// (format version, codec format version, flags, typesize, then little-endian int32 nbytes, blocksize, cbytes),
/// then either the raw bytes (memcpyed) or a table of block start offsets and per block one stream, or typesize
/// streams (one per byte of the element) when the block was split, each prefixed by its int32 compressed length
/// and stored raw when that equals its decoded length. Codecs: blosclz, lz4/lz4hc, zlib, zstd (not snappy).
/// Filters, undone per block: byte shuffle or bit shuffle. Every field is checked against the frame, so a corrupt
/// chunk gives a <see cref="VolumeException"/> (an <see cref="InputException"/>), never an out-of-bounds read.
/// </summary>
public static class Blosc
{
    private const int HeaderBytes = 16;
    private const byte FormatVersion = 2;      // the only one c-blosc 1.x reads
    private const byte CodecFormatVersion = 1; // every c-blosc 1.x codec's
    private const int MaxSplits = 16;          // c-blosc never splits elements wider than this...
    private const int MinSplitElements = 128;  // ...or blocks of fewer elements (whatever the flag says)
    private const int MaxBlockBytes = (int.MaxValue - 255 * sizeof(int)) / 3; // c-blosc's BLOSC_MAX_BLOCKSIZE

    private const byte ByteShuffleFlag = 0x01;
    private const byte MemcpyedFlag = 0x02;
    private const byte BitShuffleFlag = 0x04;
    private const byte ReservedFlag = 0x08;    // set only by newer formats c-blosc 1.x refuses
    private const byte DontSplitFlag = 0x10;

    private enum Codec { BloscLz = 0, Lz4 = 1, Snappy = 2, Zlib = 3, Zstd = 4 }

    /// <summary>
    /// The decoded bytes of the complete frame <paramref name="frame"/>; <paramref name="source"/> starts error
    /// messages. A corrupt header can still declare up to 2 GB; readers that know the size should pass it.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> frame, string source) => Decode(frame, source, null);

    /// <summary>
    /// As <see cref="Decompress(ReadOnlySpan{byte}, string)"/>, but the header must declare
    /// <paramref name="expectedBytes"/> (e.g. a Zarr chunk's size), checked before anything is allocated, so a
    /// corrupt size cannot ask for gigabytes.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> frame, string source, int expectedBytes) =>
        Decode(frame, source, expectedBytes);

    private static byte[] Decode(ReadOnlySpan<byte> frame, string source, int? expectedBytes)
    {
        if (frame.Length < HeaderBytes)
            throw Bad(source, $"{frame.Length} bytes, shorter than the 16-byte header");
        byte version = frame[0], codecVersion = frame[1], flags = frame[2];
        int typeSize = frame[3];
        int nbytes = BinaryPrimitives.ReadInt32LittleEndian(frame[4..]);
        int blockSize = BinaryPrimitives.ReadInt32LittleEndian(frame[8..]);
        int cbytes = BinaryPrimitives.ReadInt32LittleEndian(frame[12..]);

        if (version != FormatVersion)
            throw Bad(source, $"format version {version}, expected {FormatVersion} (c-blosc 1.x)");
        if (cbytes != frame.Length)
            throw Bad(source, $"header says the frame is {cbytes} bytes but it is {frame.Length}");
        if (nbytes < 0 || nbytes > Array.MaxLength)
            throw Bad(source, $"decoded size {nbytes} is out of range");
        if (expectedBytes is { } expected && nbytes != expected)
            throw Bad(source, $"decodes to {nbytes} bytes, expected {expected}");
        if (nbytes == 0) return [];
        if (blockSize <= 0 || blockSize > nbytes || blockSize > MaxBlockBytes)
            throw Bad(source, $"block size {blockSize} is out of range for {nbytes} bytes");
        if (typeSize == 0) throw Bad(source, "type size 0");
        if ((flags & ReservedFlag) != 0) throw Bad(source, $"reserved flag bit 0x08 is set (flags 0x{flags:x2})");

        if ((flags & MemcpyedFlag) != 0)
        {
            // Stored uncompressed and unshuffled right after the header, whatever the other flags say.
            if (cbytes != HeaderBytes + nbytes)
                throw Bad(source, $"uncompressed frame of {nbytes} bytes should be {HeaderBytes + nbytes} bytes, not {cbytes}");
            return frame.Slice(HeaderBytes, nbytes).ToArray();
        }

        var codec = (Codec)(flags >> 5);
        if (codec == Codec.Snappy)
            throw Bad(source, "snappy-compressed chunks are not supported (use blosclz, lz4, lz4hc, zlib or zstd)");
        if (codec > Codec.Zstd) throw Bad(source, $"unknown compressor code {(int)codec}");
        if (codecVersion != CodecFormatVersion)
            throw Bad(source, $"{Name(codec)} format version {codecVersion}, expected {CodecFormatVersion}");

        int blocks = nbytes / blockSize + (nbytes % blockSize > 0 ? 1 : 0);
        long tableEnd = HeaderBytes + 4L * blocks;
        if (tableEnd > cbytes)
            throw Bad(source, $"{cbytes} bytes cannot hold the offsets of {blocks} blocks");

        // Allocated only now that the header is consistent (the expectedBytes overload bounds nbytes itself).
        var output = new byte[nbytes];
        bool byteShuffle = (flags & ByteShuffleFlag) != 0 && typeSize > 1;
        bool bitShuffle = (flags & BitShuffleFlag) != 0;
        var shuffled = byteShuffle || bitShuffle ? new byte[blockSize] : null;
        using var streams = new StreamDecoder(codec);

        for (int b = 0; b < blocks; b++)
        {
            int start = b * blockSize;
            int size = Math.Min(blockSize, nbytes - start);
            bool leftover = size < blockSize;
            // c-blosc splits a block into typesize streams unless told not to, except the leftover block and the
            // shapes it never splits (frames from before the flag existed split by this rule alone).
            int splits = (flags & DontSplitFlag) == 0 && typeSize <= MaxSplits && size / typeSize >= MinSplitElements && !leftover
                ? typeSize : 1;
            if (size % splits != 0)
                throw Bad(source, $"block {b}: {size} bytes do not split into {splits} streams");
            int streamBytes = size / splits;

            int offset = BinaryPrimitives.ReadInt32LittleEndian(frame[(HeaderBytes + 4 * b)..]);
            if (offset < tableEnd || offset >= cbytes)
                throw Bad(source, $"block {b} starts at {offset}, outside the compressed data [{tableEnd}, {cbytes})");

            // c-blosc bit-shuffles only blocks holding at least one element.
            bool unshuffle = byteShuffle || (bitShuffle && size >= typeSize);
            var block = output.AsSpan(start, size);
            var decoded = unshuffle ? shuffled.AsSpan(0, size) : block;
            for (int s = 0; s < splits; s++)
            {
                if (offset > cbytes - sizeof(int))
                    throw Bad(source, $"block {b} stream {s}: length field at {offset} is past the end of the frame");
                int length = BinaryPrimitives.ReadInt32LittleEndian(frame[offset..]);
                offset += sizeof(int);
                if (length < 0 || length > cbytes - offset)
                    throw Bad(source, $"block {b} stream {s}: compressed length {length} runs past the end of the frame");
                var src = frame.Slice(offset, length);
                var dst = decoded.Slice(s * streamBytes, streamBytes);
                if (length == streamBytes) src.CopyTo(dst); // stored raw: it did not compress
                else if (streams.Decode(src, dst) is { } error)
                    throw Bad(source, $"block {b} stream {s} ({Name(codec)}): {error}");
                offset += length;
            }

            if (byteShuffle) ByteUnshuffle(decoded, block, typeSize);
            else if (unshuffle) Bitshuffle.Unshuffle(decoded, block, typeSize);
        }
        return output;
    }

    /// <summary>Byte shuffle stores byte j of every element together (plane j); bytes after the last whole element stay as they are.</summary>
    private static void ByteUnshuffle(ReadOnlySpan<byte> src, Span<byte> dst, int typeSize)
    {
        int elements = src.Length / typeSize;
        for (int j = 0; j < typeSize; j++)
        {
            var plane = src.Slice(j * elements, elements);
            for (int i = 0, o = j; i < elements; i++, o += typeSize) dst[o] = plane[i];
        }
        int shuffled = elements * typeSize;
        src[shuffled..].CopyTo(dst[shuffled..]);
    }

    private static string Name(Codec codec) => codec switch
    {
        Codec.BloscLz => "blosclz",
        Codec.Lz4 => "lz4",
        Codec.Zlib => "zlib",
        Codec.Zstd => "zstd",
        _ => codec.ToString(),
    };

    private static VolumeException Bad(string source, string what) => new($"{source}: bad blosc chunk: {what}");

    /// <summary>One codec's stream decoder for a whole frame (the zstd context is reused across streams).</summary>
    private sealed class StreamDecoder(Codec codec) : IDisposable
    {
        private Decompressor? _zstd;

        /// <summary>Decodes <paramref name="src"/> into exactly all of <paramref name="dst"/>; returns null, or what is wrong.</summary>
        public string? Decode(ReadOnlySpan<byte> src, Span<byte> dst) => codec switch
        {
            Codec.BloscLz => BloscLz.Decode(src, dst),
            Codec.Lz4 => Lz4Block.Decode(src, dst),
            Codec.Zlib => Zlib(src, dst),
            Codec.Zstd => Zstd(src, dst),
            _ => throw new InvalidOperationException(codec.ToString()),
        };

        private static unsafe string? Zlib(ReadOnlySpan<byte> src, Span<byte> dst)
        {
            try
            {
                fixed (byte* p = src)
                {
                    using var input = new UnmanagedMemoryStream(p, src.Length);
                    using var z = new ZLibStream(input, CompressionMode.Decompress);
                    int n = z.ReadAtLeast(dst, dst.Length, throwOnEndOfStream: false);
                    if (n < dst.Length) return $"decodes to {n} bytes, expected {dst.Length}";
                    // Reading on to the end also verifies the adler32 checksum.
                    Span<byte> extra = stackalloc byte[1];
                    return z.Read(extra) == 0 ? null : $"decodes to more than {dst.Length} bytes";
                }
            }
            catch (InvalidDataException e)
            {
                return e.Message.ReplaceLineEndings(" ");
            }
        }

        private string? Zstd(ReadOnlySpan<byte> src, Span<byte> dst)
        {
            try
            {
                _zstd ??= new Decompressor();
                int n = _zstd.Unwrap(src, dst);
                return n == dst.Length ? null : $"decodes to {n} bytes, expected {dst.Length}";
            }
            catch (ZstdException e)
            {
                return e.Message.ReplaceLineEndings(" ");
            }
        }

        public void Dispose() => _zstd?.Dispose();
    }
}
