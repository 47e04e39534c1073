using System.Globalization;
using System.Text.RegularExpressions;
using Ffn.Model.Checkpoints;
using Ffn.Model.Geometry;
using Ffn.Model.Network;
using Ffn.Tests.Support;
using static TorchSharp.torch;

namespace Ffn.Tests.Host;

/// <summary>`ffn report` on a real `ffn run` (tiny random network, synthetic volume with ground truth).</summary>
public class ReportCommandTests
{
    private static (string Input, string RunDir) Run(TempDir tmp)
    {
        var input = tmp.File("vol.h5");
        var s = Cli.Run("synth", input, "--shape", "32,40,40", "--seed", "2", "--empty-slab");
        Assert.True(s.ExitCode == 0, s.Err);
        manual_seed(3);
        var cfg = new ModelConfig { Depth = 1, Features = 4, FovSize = new Vec3i(7, 7, 7), Deltas = new Vec3i(2, 2, 2), ImageMean = 128, ImageStddev = 33 };
        using (var m = new ConvStack3D(cfg)) ModelCheckpoint.Save(m, tmp.File("tiny.pkl"), cfg);
        var runDir = tmp.File("run");
        var r = Cli.Run("run", "--input", input + ":raw", "--model", tmp.File("tiny.pkl"), "--output", runDir, "--block-shape", "8,20,20",
            "--min-seg-size", "20", "--workers", "2", "--threads", "1", "--merge", "faces", "--min-consecutive-pixels", "3");
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("report: " + Path.Combine(runDir, "report.html"), r.Out);
        return (input, runDir);
    }

    /// <summary>Every reference in the page is a data: URI or a file beside it; every picture decodes (PIL, and the
    /// chunk CRCs by zlib); prints the number of PNGs and the page's text.</summary>
    private const string Validate = """
import sys, os, re, base64, struct, zlib, io, html.parser
from PIL import Image
page = sys.argv[1]; here = os.path.dirname(page)
text = open(page, encoding='utf-8').read()
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.refs = []; self.text = []; self.tags = set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ('src', 'href', 'srcset', 'poster', 'data', 'action', 'xlink:href'): self.refs.append((tag, v))
    def handle_data(self, d): self.text.append(d)
p = P(); p.feed(text)
assert 'script' not in p.tags and 'iframe' not in p.tags and 'link' not in p.tags, p.tags
for u in re.findall(r'url\(([^)]*)\)', text): assert u.strip('\'"').startswith('data:'), u
def check_png(data):
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos = 8
    while pos < len(data):
        n, = struct.unpack('>I', data[pos:pos+4])
        assert zlib.crc32(data[pos+4:pos+8+n]) & 0xffffffff == struct.unpack('>I', data[pos+8+n:pos+12+n])[0]
        pos += 12 + n
    im = Image.open(io.BytesIO(data)); im.load()
    return im.size
pngs = 0
for tag, v in p.refs:
    assert v is not None
    if v.startswith('data:'):
        head, payload = v.split(',', 1)
        assert head == 'data:image/png;base64', head
        check_png(base64.b64decode(payload)); pngs += 1
    else:
        assert '://' not in v and not v.startswith('//') and not v.startswith('/'), v
        f = os.path.join(here, v); assert os.path.isfile(f), v
        if f.endswith('.png'): check_png(open(f, 'rb').read())
print(pngs)
print(' '.join(' '.join(p.text).split()))
""";

    [Fact]
    public void Report_with_ground_truth_is_self_contained_every_picture_decodes_and_it_shows_the_scores()
    {
        using var tmp = new TempDir();
        var (input, runDir) = Run(tmp);
        Directory.CreateDirectory(tmp.File("out"));
        var page = tmp.File("out/r.html");
        var r = Cli.Run("report", runDir, "--gt", input + ":labels", "--out", page);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("report: " + page, r.Out);

        var lines = PythonOracle.Run(Validate, page).Split('\n');
        Assert.Equal(9, int.Parse(lines[0].Trim())); // xy, xz, yz at 3 positions each
        var text = lines[1];
        // The nine PNG files beside the page (xy at z = 8, 16, 24 of 32; xz and yz at 10, 20, 30 of 40).
        foreach (var f in new[] { "r_xy_z8", "r_xy_z16", "r_xy_z24", "r_xz_y10", "r_xz_y20", "r_xz_y30", "r_yz_x10", "r_yz_x20", "r_yz_x30" })
            Assert.True(File.Exists(tmp.File($"out/{f}.png")), f);

        // Scores as scikit-image computes them on the same files, to the 4 decimals printed (NumPy's log may differ
        // from ours in the last bit, so comparing rounded strings could fail at a rounding boundary).
        var sk = PythonOracle.SegmentationScores(Path.Combine(runDir, "final_result.h5"), input);
        var vi = Regex.Match(text, @"(\d+\.\d{4}) bits = split H\(seg\|gt\) (\d+\.\d{4}) \+ merge H\(gt\|seg\) (\d+\.\d{4})");
        var are = Regex.Match(text, @"adapted Rand error (\d+\.\d{4})");
        Assert.True(vi.Success && are.Success, text);
        foreach (var (printed, exact, name) in new[] { (vi.Groups[1], sk.Vi, "VI"), (vi.Groups[2], sk.Split, "split"),
                     (vi.Groups[3], sk.Merge, "merge"), (are.Groups[1], sk.AdaptedRandError, "adapted Rand error") })
            Assert.True(Math.Abs(double.Parse(printed.Value, CultureInfo.InvariantCulture) - exact) <= 5.01e-5,
                string.Create(CultureInfo.InvariantCulture, $"{name}: printed {printed.Value}, scikit-image {exact:R}"));

        // Block facts as summary.json has them: 16 blocks, the 4 of the empty slab skipped.
        Assert.Contains("16 in all: 12 done, 0 reused, 4 skipped as empty, 0 failed", text);
        var html = File.ReadAllText(page);
        Assert.Equal(4, Regex.Matches(html, "data-category=\"empty\"").Count);
        Assert.Equal(12, Regex.Matches(html, "data-category=\"(done|retried)\"").Count);
        Assert.DoesNotContain(Directory.GetFiles(tmp.File("out")), f => Path.GetFileName(f).StartsWith('.')); // no temp files left
    }

    [Fact]
    public void The_report_ffn_run_writes_is_valid_too_and_bad_input_gets_one_line()
    {
        using var tmp = new TempDir();
        var (_, runDir) = Run(tmp);
        var lines = PythonOracle.Run(Validate, Path.Combine(runDir, "report.html")).Split('\n');
        Assert.Equal(9, int.Parse(lines[0].Trim(), CultureInfo.InvariantCulture));
        Assert.DoesNotContain("Evaluation against", lines[1]);

        var missing = Cli.Run("report", tmp.File("nope"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.ErrLines);
        Assert.Contains("nope", missing.Err);
        var notRun = Cli.Run("report", tmp.Path);
        Assert.Equal(2, notRun.ExitCode);
        Assert.Contains("summary.json", notRun.Err);
        var badPos = Cli.Run("report", runDir, "--positions", "0.5,2");
        Assert.Equal(2, badPos.ExitCode);
        Assert.Contains("--positions", badPos.Err);
        var badGt = Cli.Run("report", runDir, "--gt", tmp.File("nope.h5:labels"), "--out", tmp.File("x.html"));
        Assert.Equal(2, badGt.ExitCode);
        Assert.False(File.Exists(tmp.File("x.html")));
        // Ground truth of another shape: refused before any picture is written.
        Assert.Equal(0, Cli.Run("synth", tmp.File("small.h5"), "--shape", "16,16,16").ExitCode);
        var otherShape = Cli.Run("report", runDir, "--gt", tmp.File("small.h5") + ":labels", "--out", tmp.File("y.html"));
        Assert.Equal(2, otherShape.ExitCode);
        Assert.Contains("shape", otherShape.Err);
        Assert.Single(otherShape.ErrLines);
        Assert.Empty(Directory.GetFiles(tmp.Path, "y*"));
    }
}
