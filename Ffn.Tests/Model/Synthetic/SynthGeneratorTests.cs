using Ffn.Model.Geometry;
using Ffn.Model.Synthetic;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Synthetic;

public class SynthGeneratorTests
{
    private static readonly SynthOptions Small = new() { Shape = new Vec3i(48, 96, 96), Seed = 5 };

    [Fact]
    public void SameSeedGivesSameVolumeAndOtherSeedDiffers()
    {
        var a = SynthGenerator.Generate(Small);
        var b = SynthGenerator.Generate(Small);
        var c = SynthGenerator.Generate(Small with { Seed = 6 });
        Assert.True(a.Raw.ContentEquals(b.Raw));
        Assert.True(a.Labels.ContentEquals(b.Labels));
        Assert.False(a.Raw.ContentEquals(c.Raw));
    }

    /// <summary>
    /// The bytes a seed gives, pinned: the generator uses only our own random sequence and CPU-independent
    /// arithmetic, so these hold on every machine. A deliberate change to the generator updates them.
    /// </summary>
    [Fact]
    public void Seed_gives_the_same_bytes_on_every_machine()
    {
        var v = SynthGenerator.Generate(new SynthOptions { Shape = new Vec3i(16, 32, 32), Seed = 5 });
        Assert.Equal(PinnedRaw, Sha256(v.Raw.Data));
        Assert.Equal(PinnedLabels, Sha256(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.Labels.Data.AsSpan()).ToArray()));
    }

    private const string PinnedRaw = "07727b27501a8343a9f3bf5287b5e174865a909ca8dbf1561f9fb14f8d664fb0",
        PinnedLabels = "c89686f7fc3b23c06b95b501766abf044be7353ea7a69479b96c7422b450fa46";

    private static string Sha256(byte[] b) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(b));

    [Fact]
    public void Same_seed_is_the_same_file_from_two_processes()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "a.h5", "b.h5" })
        {
            var r = Cli.RunProcess("synth", dir.File(name), "--shape", "16,32,32", "--seed", "5");
            Assert.True(r.ExitCode == 0, r.Err);
        }
        Assert.Equal(File.ReadAllBytes(dir.File("a.h5")), File.ReadAllBytes(dir.File("b.h5")));
    }

    [Fact]
    public void LooksLikeNeuropil()
    {
        var s = SynthGenerator.Generate(Small);
        var l = s.Labels;
        var shape = l.Shape;

        // Dense packing: a membrane/background fraction typical of EM ground truth.
        double membrane = l.Data.Count(v => v == 0) / (double)l.Length;
        Assert.InRange(membrane, 0.15, 0.5);
        Assert.InRange(s.ObjectCount, 30, 5000);
        Assert.Equal(s.ObjectCount, (int)l.Data.Max());

        // Different objects never touch: a dark membrane always separates them.
        for (int z = 0; z < shape.Z; z++)
        for (int y = 0; y < shape.Y; y++)
        for (int x = 0; x < shape.X - 1; x++)
        {
            uint p = l[z, y, x], q = l[z, y, x + 1];
            Assert.False(p != 0 && q != 0 && p != q, $"objects {p} and {q} touch at {z},{y},{x}");
        }

        // Membranes are dark, interiors bright.
        double mem = 0, inner = 0;
        long nm = 0, ni = 0;
        for (long i = 0; i < l.Length; i++)
        {
            bool boundary = l.Data[i] == 0;
            if (boundary) { mem += s.Raw.Data[i]; nm++; } else { inner += s.Raw.Data[i]; ni++; }
        }
        Assert.True(inner / ni - mem / nm > 40, $"interior {inner / ni:F1} vs membrane {mem / nm:F1}");

        // Neurites are elongated: principal axis ratio of the larger objects.
        var ratios = ElongationOfLargestObjects(l.Data, shape, 15);
        Assert.True(ratios.Count(r => r > 2.0) >= 5, "elongation ratios: " + string.Join(", ", ratios.Select(r => r.ToString("F1"))));
    }

    [Fact]
    public void ObjectsAreConnectedAndMembranesThinByScipy()
    {
        using var tmp = new TempDir();
        var s = SynthGenerator.Generate(Small);
        NpyFile.Write(tmp.File("labels.npy"), s.Labels);
        var py = PythonOracle.Run("""
import sys, numpy as np
from scipy import ndimage
l = np.load(sys.argv[1])
ids = np.unique(l[l > 0])
split = 0
for i, sl in enumerate(ndimage.find_objects(l), start=1):
    if sl is None: continue
    _, n = ndimage.label(l[sl] == i)
    split += n > 1
print(len(ids), split)
""", tmp.File("labels.npy"));
        var parts = py.Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        Assert.Equal(s.ObjectCount, parts[0]);
        Assert.Equal(0, parts[1]);
    }

    [Fact]
    public void MembranesBetweenObjectsAreOneToThreeVoxelsThick()
    {
        // Runs of label 0 along x that separate two different objects: their length is the membrane thickness
        // (longer where a membrane is cut obliquely), so most are 1-3 and every thickness occurs.
        var s = SynthGenerator.Generate(Small);
        var l = s.Labels;
        var hist = new int[64];
        for (int z = 0; z < l.Shape.Z; z++)
        for (int y = 0; y < l.Shape.Y; y++)
        {
            var row = l.Row(z, y);
            int x = 0;
            while (x < row.Length)
            {
                if (row[x] != 0) { x++; continue; }
                int start = x;
                while (x < row.Length && row[x] == 0) x++;
                if (start > 0 && x < row.Length && row[start - 1] != row[x]) hist[Math.Min(x - start, 63)]++;
            }
        }
        int total = hist.Sum();
        Assert.True(total > 500, $"only {total} separating runs");
        Assert.True(hist[1] > 0 && hist[2] > 0 && hist[3] > 0, string.Join(",", hist.Take(8)));
        double thin = (hist[1] + hist[2] + hist[3]) / (double)total;
        Assert.True(thin > 0.6, $"only {thin:P0} of separating runs are 1-3 voxels: {string.Join(",", hist.Take(10))}");
    }

    [Fact]
    public void EmptySlabIsAllZero()
    {
        var s = SynthGenerator.Generate(Small with { EmptySlab = true });
        int slab = Small.Shape.Z / 4;
        long n = (long)slab * Small.Shape.Y * Small.Shape.X;
        Assert.All(s.Raw.Data.Take((int)n), v => Assert.Equal(0, v));
        Assert.All(s.Labels.Data.Take((int)n), v => Assert.Equal(0u, v));
        Assert.Contains(s.Raw.Data.Skip((int)n), v => v != 0);
    }

    private static List<double> ElongationOfLargestObjects(uint[] labels, Vec3i shape, int count)
    {
        var sums = new Dictionary<uint, double[]>(); // n, sz, sy, sx, szz, syy, sxx, szy, szx, syx
        for (int z = 0; z < shape.Z; z++)
        for (int y = 0; y < shape.Y; y++)
        for (int x = 0; x < shape.X; x++)
        {
            uint l = labels[((long)z * shape.Y + y) * shape.X + x];
            if (l == 0) continue;
            if (!sums.TryGetValue(l, out var m)) sums[l] = m = new double[10];
            m[0]++; m[1] += z; m[2] += y; m[3] += x;
            m[4] += z * z; m[5] += y * y; m[6] += x * x; m[7] += z * y; m[8] += z * x; m[9] += y * x;
        }
        var result = new List<double>();
        foreach (var m in sums.Values.OrderByDescending(m => m[0]).Take(count))
        {
            double n = m[0], mz = m[1] / n, my = m[2] / n, mx = m[3] / n;
            var c = new double[3, 3];
            c[0, 0] = m[4] / n - mz * mz; c[1, 1] = m[5] / n - my * my; c[2, 2] = m[6] / n - mx * mx;
            c[0, 1] = c[1, 0] = m[7] / n - mz * my; c[0, 2] = c[2, 0] = m[8] / n - mz * mx; c[1, 2] = c[2, 1] = m[9] / n - my * mx;
            var ev = SymmetricEigenvalues(c);
            result.Add(Math.Sqrt(ev.Max() / Math.Max(ev.Min(), 1e-9)));
        }
        return result;
    }

    private static double[] SymmetricEigenvalues(double[,] a)
    {
        // Closed form for a symmetric 3x3 matrix (trigonometric solution of the characteristic cubic).
        double p1 = a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2] + a[1, 2] * a[1, 2];
        double q = (a[0, 0] + a[1, 1] + a[2, 2]) / 3;
        double p2 = Math.Pow(a[0, 0] - q, 2) + Math.Pow(a[1, 1] - q, 2) + Math.Pow(a[2, 2] - q, 2) + 2 * p1;
        double p = Math.Sqrt(p2 / 6);
        if (p < 1e-12) return [q, q, q];
        var b = new double[3, 3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) b[i, j] = (a[i, j] - (i == j ? q : 0)) / p;
        double r = (b[0, 0] * (b[1, 1] * b[2, 2] - b[1, 2] * b[2, 1]) - b[0, 1] * (b[1, 0] * b[2, 2] - b[1, 2] * b[2, 0])
            + b[0, 2] * (b[1, 0] * b[2, 1] - b[1, 1] * b[2, 0])) / 2;
        double phi = Math.Acos(Math.Clamp(r, -1, 1)) / 3;
        double e1 = q + 2 * p * Math.Cos(phi), e3 = q + 2 * p * Math.Cos(phi + 2 * Math.PI / 3);
        return [e1, 3 * q - e1 - e3, e3];
    }
}
