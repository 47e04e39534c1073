using System.Buffers.Binary;
using System.Text;
using Ffn.Model.Checkpoints;
using Ffn.Model.Reporting;

namespace Ffn.Model.Training;

/// <summary>
/// Writes TensorBoard event files (events.out.tfevents.*) without TensorFlow: TFRecord framing (length, masked
/// CRC-32C of the length, payload, masked CRC-32C of the payload) around hand-encoded tensorflow.Event protobufs
/// (wall_time = 1, step = 2, file_version = 3, summary = 5; Summary.value = 1; Value.tag = 1, simple_value = 2,
/// image = 4; Image.height = 1, width = 2, colorspace = 3, encoded_image_string = 4).
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _file;

    public TensorBoardWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        // A resumed run in the same second and process (tests) must not collide: TensorBoard reads every file.
        var name = $"events.out.tfevents.{(long)now}.{Environment.MachineName}.{Environment.ProcessId}";
        Path = System.IO.Path.Combine(directory, name);
        for (int i = 1; File.Exists(Path); i++) Path = System.IO.Path.Combine(directory, $"{name}.{i}");
        _file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var ev = new ProtoWriter();
        ev.Double(1, now);
        ev.Bytes(3, Encoding.UTF8.GetBytes("brain.Event:2"));
        WriteRecord(ev.ToArray());
        Flush();
    }

    public string Path { get; }

    public void Scalars(long step, IEnumerable<(string Tag, double Value)> values)
    {
        var summary = new ProtoWriter();
        foreach (var (tag, v) in values)
        {
            var value = new ProtoWriter();
            value.Bytes(1, Encoding.UTF8.GetBytes(tag));
            value.Float(2, (float)v);
            summary.Bytes(1, value.ToArray());
        }
        WriteEvent(step, summary.ToArray());
    }

    /// <summary>One 8-bit grayscale image per tag, values in [0, 1] mapped to 0..255.</summary>
    public void Images(long step, IEnumerable<(string Tag, float[] Pixels, int Height, int Width)> images)
    {
        var summary = new ProtoWriter();
        foreach (var (tag, pixels, h, w) in images)
        {
            var bytes = new byte[pixels.Length];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Clamp(MathF.Round(pixels[i] * 255f), 0, 255);
            var img = new ProtoWriter();
            img.Varint(1, (ulong)h);
            img.Varint(2, (ulong)w);
            img.Varint(3, 1);
            img.Bytes(4, PngEncoder.EncodeGray(bytes, h, w));
            var value = new ProtoWriter();
            value.Bytes(1, Encoding.UTF8.GetBytes(tag));
            value.Bytes(4, img.ToArray());
            summary.Bytes(1, value.ToArray());
        }
        WriteEvent(step, summary.ToArray());
    }

    public void Flush() => _file.Flush(flushToDisk: false);

    private void WriteEvent(long step, byte[] summary)
    {
        var ev = new ProtoWriter();
        ev.Double(1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        ev.Varint(2, (ulong)step);
        ev.Bytes(5, summary);
        WriteRecord(ev.ToArray());
    }

    private void WriteRecord(byte[] payload)
    {
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[8..], Crc32C.Mask(Crc32C.Compute(head[..8])));
        _file.Write(head);
        _file.Write(payload);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, Crc32C.Mask(Crc32C.Compute(payload)));
        _file.Write(tail);
    }

    public void Dispose()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
    }

    /// <summary>The protobuf wire format, only the field kinds events use.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _s = new();

        public void Varint(int field, ulong v)
        {
            Raw((ulong)field << 3);
            Raw(v);
        }

        public void Double(int field, double v)
        {
            Raw(((ulong)field << 3) | 1);
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(b, v);
            _s.Write(b);
        }

        public void Float(int field, float v)
        {
            Raw(((ulong)field << 3) | 5);
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b, v);
            _s.Write(b);
        }

        public void Bytes(int field, ReadOnlySpan<byte> data)
        {
            Raw(((ulong)field << 3) | 2);
            Raw((ulong)data.Length);
            _s.Write(data);
        }

        private void Raw(ulong v)
        {
            while (v >= 0x80)
            {
                _s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }
            _s.WriteByte((byte)v);
        }

        public byte[] ToArray() => _s.ToArray();
    }
}
