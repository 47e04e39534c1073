using Ffn.Model;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Hdf5;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.DataPrep;

public class CoordinateBuilderTests
{
    private static readonly string PartitionA = Path.Combine(TestData.Shared, "testvectors", "partition_expected_r12x8x4_min50.h5");
    private static readonly string PartitionB = Path.Combine(TestData.Shared, "testvectors", "partition_expected_r0x6x10_min0.h5");

    private static Volume<byte> Read(string path) => VolumeStore.ReadAll(VolumeSpec.Parse(path + ":partitions")).As<byte>();

    /// <summary>
    /// Every value is sampled equally often; every voxel of a value inside the margin appears, each as often as
    /// the repetition allows (floor or ceil of samples / voxels); nothing lies in the margin or on 255.
    /// </summary>
    private static void AssertBalancedCover(TrainingCoordinates c, IReadOnlyList<Volume<byte>> volumes, Vec3i margin, CoordinateSummary summary)
    {
        Assert.Equal(summary.Count, c.Count);
        var perValue = new Dictionary<byte, long>();
        var hits = new Dictionary<(int Volume, Vec3i P), int>();
        for (int i = 0; i < c.Count; i++)
        {
            var p = c[i];
            int vi = c.VolumeIndex(i);
            var vol = volumes[vi];
            Assert.True(new Box3(margin, vol.Shape - margin * 2).Contains(p), $"row {i} {p} lies in the margin");
            byte value = vol[p];
            Assert.NotEqual(Partitioner.Excluded, value);
            perValue[value] = perValue.GetValueOrDefault(value) + 1;
            hits[(vi, p)] = hits.GetValueOrDefault((vi, p)) + 1;
        }
        Assert.Single(perValue.Values.Distinct());
        long samples = perValue.Values.First();
        Assert.Equal(summary.SamplesPerValue, samples);

        // Voxels of each value inside the margin, counted from the volumes themselves.
        var voxels = new Dictionary<byte, long>();
        for (int vi = 0; vi < volumes.Count; vi++)
        {
            var inner = volumes[vi].Crop(new Box3(margin, volumes[vi].Shape - margin * 2));
            foreach (var v in inner.Data.Where(v => v != Partitioner.Excluded)) voxels[v] = voxels.GetValueOrDefault(v) + 1;
        }
        Assert.Equal(voxels.Keys.Order(), perValue.Keys.Order());
        Assert.Equal(voxels.Values.Max(), samples);
        foreach (var (value, n) in voxels)
        {
            var counts = hits.Where(h => volumes[h.Key.Volume][h.Key.P] == value).Select(h => h.Value).ToList();
            Assert.Equal(n, counts.Count);   // every voxel of the value is used
            Assert.All(counts, k => Assert.InRange(k, samples / n, (samples + n - 1) / n));
        }
    }

    [Fact]
    public void OneVolumeIsBalancedCoversEveryVoxelAndRespectsTheMargin()
    {
        using var tmp = new TempDir();
        var output = tmp.File("coords.npy");
        var margin = new Vec3i(3, 5, 7);
        var summary = CoordinateBuilder.Build([CoordinateSource.Parse($"a:{PartitionA}:partitions")], margin, 42, output);
        Assert.Equal([output], summary.Files);
        Assert.False(File.Exists(CoordinateBuilder.VolumeIndexPath(output)));
        var c = TrainingCoordinates.Load(output);
        Assert.Empty(c.VolumeNames);
        AssertBalancedCover(c, [Read(PartitionA)], margin, summary);
        Assert.Equal(14, summary.VoxelsPerValue.Count);
        Assert.Equal(14 * summary.SamplesPerValue, summary.Count);
    }

    [Fact]
    public void SameSeedSameBytesOtherSeedOtherOrder()
    {
        using var tmp = new TempDir();
        var sources = new[] { CoordinateSource.Parse($"a:{PartitionB}:partitions") };
        CoordinateBuilder.Build(sources, new Vec3i(2, 2, 2), 7, tmp.File("a.npy"));
        CoordinateBuilder.Build(sources, new Vec3i(2, 2, 2), 7, tmp.File("b.npy"));
        CoordinateBuilder.Build(sources, new Vec3i(2, 2, 2), 8, tmp.File("c.npy"));
        var a = File.ReadAllBytes(tmp.File("a.npy"));
        Assert.Equal(a, File.ReadAllBytes(tmp.File("b.npy")));
        var c = File.ReadAllBytes(tmp.File("c.npy"));
        Assert.Equal(a.Length, c.Length);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void SeveralVolumesWriteTheVolumeOfEachRowAndTheirNames()
    {
        using var tmp = new TempDir();
        var output = tmp.File("multi.npy");
        var margin = new Vec3i(4, 6, 2);
        var summary = CoordinateBuilder.Build(
            [CoordinateSource.Parse($"first:{PartitionA}:partitions"), CoordinateSource.Parse($"second:{PartitionB}:/partitions")],
            margin, 3, output);
        Assert.Equal([output, CoordinateBuilder.VolumeIndexPath(output), CoordinateBuilder.VolumeNamesPath(output)], summary.Files);
        var c = TrainingCoordinates.Load(output);
        Assert.Equal(["first", "second"], c.VolumeNames);
        AssertBalancedCover(c, [Read(PartitionA), Read(PartitionB)], margin, summary);
        Assert.Contains(Enumerable.Range(0, c.Count), i => c.VolumeIndex(i) == 0);
        Assert.Contains(Enumerable.Range(0, c.Count), i => c.VolumeIndex(i) == 1);

        // A later single-volume run to the same name removes the sidecars it no longer matches.
        CoordinateBuilder.Build([CoordinateSource.Parse($"first:{PartitionA}:partitions")], margin, 3, output);
        Assert.False(File.Exists(CoordinateBuilder.VolumeIndexPath(output)));
        Assert.False(File.Exists(CoordinateBuilder.VolumeNamesPath(output)));
        Assert.Empty(TrainingCoordinates.Load(output).VolumeNames);
    }

    [Fact]
    public void MarginZeroSamplesTheWholeVolume()
    {
        using var tmp = new TempDir();
        var v = new Volume<byte>(new Vec3i(2, 3, 4));
        v.Data.AsSpan().Fill(1);
        v[0, 0, 0] = 0;
        v[1, 2, 3] = 5;
        v[1, 1, 1] = Partitioner.Excluded;
        Hdf5VolumeWriter.WriteVolume(tmp.File("p.h5"), "p", v);
        var summary = CoordinateBuilder.Build([CoordinateSource.Parse($"v:{tmp.File("p.h5")}:p")], Vec3i.Zero, 1, tmp.File("c.npy"));
        Assert.Equal(3 * 21, summary.Count);
        var c = TrainingCoordinates.Load(tmp.File("c.npy"));
        AssertBalancedCover(c, [v], Vec3i.Zero, summary);
        Assert.Contains(Enumerable.Range(0, c.Count), i => c[i] == new Vec3i(1, 2, 3));
    }

    [Fact]
    public void BadInputsAreInputErrorsAndLeaveNoFile()
    {
        using var tmp = new TempDir();
        var excluded = new Volume<byte>(new Vec3i(5, 5, 5));
        excluded.Data.AsSpan().Fill(Partitioner.Excluded);
        Hdf5VolumeWriter.WriteVolume(tmp.File("x.h5"), "p", excluded);
        Hdf5VolumeWriter.WriteVolume(tmp.File("f.h5"), "p", new Volume<float>(new Vec3i(5, 5, 5)));
        var wide = new Volume<ushort>(new Vec3i(5, 5, 5));
        wide[2, 2, 2] = 300;
        Hdf5VolumeWriter.WriteVolume(tmp.File("w.h5"), "p", wide);
        var output = tmp.File("out.npy");
        void Fails(string source, Vec3i margin, string expect)
        {
            var e = Assert.ThrowsAny<InputException>(() => CoordinateBuilder.Build([CoordinateSource.Parse(source)], margin, 1, output));
            Assert.Contains(expect, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Fails($"x:{tmp.File("x.h5")}:p", Vec3i.One, "x.h5");
        Fails($"f:{tmp.File("f.h5")}:p", Vec3i.One, "float32");
        Fails($"w:{tmp.File("w.h5")}:p", Vec3i.Zero, "300");
        Fails($"x:{tmp.File("x.h5")}:p", new Vec3i(1, 3, 1), "margin");
        Fails($"x:{tmp.File("x.h5")}:nope", Vec3i.One, "nope");
        Assert.Throws<InputException>(() => CoordinateSource.Parse("no-name.h5:p"));
        Assert.Empty(Directory.GetFiles(tmp.Path, "out*"));   // nothing written, no temporary file either
        Assert.Empty(Directory.GetFiles(tmp.Path, ".*"));
    }

    [Fact]
    public void LoadRejectsSidecarsThatDoNotMatch()
    {
        using var tmp = new TempDir();
        var output = tmp.File("c.npy");
        CoordinateBuilder.Build([CoordinateSource.Parse($"a:{PartitionA}:partitions"), CoordinateSource.Parse($"b:{PartitionB}:partitions")],
            new Vec3i(20, 20, 20), 1, output);
        File.WriteAllText(CoordinateBuilder.VolumeNamesPath(output), "[\"a\"]");
        Assert.Contains("volume index 1", Assert.Throws<InputException>(() => TrainingCoordinates.Load(output)).Message);
        File.Delete(CoordinateBuilder.VolumeNamesPath(output));
        Assert.Contains("without", Assert.Throws<InputException>(() => TrainingCoordinates.Load(output)).Message);
    }
}
