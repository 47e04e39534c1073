using System.Text.Json;
using Ffn.Model.Training;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Training;

/// <summary>
/// Our event files read back by an independent Python reader (no TensorFlow on Debian): TFRecord framing with both
/// masked CRC-32C checked, the Event/Summary protobufs decoded by field number, the PNG decoded by Pillow.
/// </summary>
public class TensorBoardWriterTests
{
    private const string Reader = """
import sys, struct, json, io
from PIL import Image

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xFFFFFFFF

def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1
        v |= (x & 0x7f) << s; s += 7
        if x < 0x80: return v, i

def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0: v, i = varint(b, i)
        elif wt == 1: v = struct.unpack('<d', b[i:i+8])[0]; i += 8
        elif wt == 5: v = struct.unpack('<f', b[i:i+4])[0]; i += 4
        elif wt == 2:
            n, i = varint(b, i); v = b[i:i+n]; i += n
        else: raise ValueError('wire type %d' % wt)
        out.append((f, v))
    return out

data = open(sys.argv[1], 'rb').read()
i, events = 0, []
while i < len(data):
    head = data[i:i+8]; n = struct.unpack('<Q', head)[0]
    assert struct.unpack('<I', data[i+8:i+12])[0] == masked(head), 'length crc'
    payload = data[i+12:i+12+n]
    assert struct.unpack('<I', data[i+12+n:i+16+n])[0] == masked(payload), 'data crc'
    i += 16 + n
    ev = {}
    for f, v in fields(payload):
        if f == 1: ev['wall_time'] = v
        elif f == 2: ev['step'] = v
        elif f == 3: ev['file_version'] = v.decode()
        elif f == 5:
            vals = []
            for _, vb in fields(v):
                val = {}
                for g, w in fields(vb):
                    if g == 1: val['tag'] = w.decode()
                    elif g == 2: val['simple_value'] = w
                    elif g == 4:
                        img = dict(fields(w))
                        im = Image.open(io.BytesIO(img[4])); im.load()
                        val['image'] = {'height': img[1], 'width': img[2], 'colorspace': img[3], 'mode': im.mode, 'size': list(im.size), 'pixels': list(im.getdata())}
                vals.append(val)
            ev['values'] = vals
    events.append(ev)
print(json.dumps(events))
""";

    [Fact]
    public void Scalars_and_images_read_back_with_an_independent_parser()
    {
        using var dir = new TempDir();
        string path;
        using (var w = new TensorBoardWriter(dir.Path))
        {
            path = w.Path;
            w.Scalars(7, [("loss", 0.5), ("f1", 0.875)]);
            w.Images(9, [("train/label", [0f, 0.5f, 1f, 1f, 0.25f, 0f], 2, 3)]);
        }
        Assert.StartsWith("events.out.tfevents.", Path.GetFileName(path));
        using var doc = JsonDocument.Parse(PythonOracle.Run(Reader, path));
        var ev = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, ev.Length);
        Assert.Equal("brain.Event:2", ev[0].GetProperty("file_version").GetString());
        Assert.True(Math.Abs(ev[0].GetProperty("wall_time").GetDouble() - DateTimeOffset.UtcNow.ToUnixTimeSeconds()) < 600);
        Assert.Equal(7, ev[1].GetProperty("step").GetInt64());
        var vals = ev[1].GetProperty("values").EnumerateArray().ToArray();
        Assert.Equal("loss", vals[0].GetProperty("tag").GetString());
        Assert.Equal(0.5, vals[0].GetProperty("simple_value").GetDouble());
        Assert.Equal("f1", vals[1].GetProperty("tag").GetString());
        Assert.Equal(0.875, vals[1].GetProperty("simple_value").GetDouble());
        Assert.Equal(9, ev[2].GetProperty("step").GetInt64());
        var img = ev[2].GetProperty("values")[0];
        Assert.Equal("train/label", img.GetProperty("tag").GetString());
        var im = img.GetProperty("image");
        Assert.Equal(2, im.GetProperty("height").GetInt32());
        Assert.Equal(3, im.GetProperty("width").GetInt32());
        Assert.Equal("L", im.GetProperty("mode").GetString());
        Assert.Equal([3, 2], im.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0, 128, 255, 255, 64, 0], im.GetProperty("pixels").EnumerateArray().Select(e => e.GetInt32()));
    }
}
