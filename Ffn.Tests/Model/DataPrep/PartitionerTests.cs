using Ffn.Model;
using Ffn.Model.DataPrep;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.DataPrep;

public class PartitionerTests
{
    private static readonly string Vectors = Path.Combine(TestData.Shared, "testvectors");

    /// <summary>google/ffn's own output (testvectors/NOTES.md), radius x,y,z as in the file names.</summary>
    [Theory]
    [InlineData(24, 24, 24, 100, "r24x24x24_min100")]
    [InlineData(12, 8, 4, 50, "r12x8x4_min50")]
    [InlineData(0, 6, 10, 0, "r0x6x10_min0")]
    public void BitIdenticalToGoogleTestVectors(int rx, int ry, int rz, long minSize, string name)
    {
        using var labels = VolumeStore.OpenRead(Path.Combine(Vectors, "partition_input.h5") + ":labels");
        var result = Partitioner.Compute(labels, new PartitionOptions { LomRadius = new Vec3i(rz, ry, rx), MinSize = minSize });
        var expected = VolumeStore.ReadAll(VolumeSpec.Parse(Path.Combine(Vectors, $"partition_expected_{name}.h5") + ":partitions")).As<byte>();
        Assert.Equal(expected.Shape, result.Partitions.Shape);
        int diff = expected.Data.Zip(result.Partitions.Data).Count(p => p.First != p.Second);
        Assert.True(diff == 0, $"{diff} voxels differ from google/ffn");
        Assert.Equal(new Box3(new Vec3i(rz, ry, rx), expected.Shape - new Vec3i(2 * rz, 2 * ry, 2 * rx)), result.ValidRegion);

        // partition_counts: np.unique over the valid region.
        var valid = expected.Crop(result.ValidRegion).Data;
        var counts = valid.GroupBy(v => v).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count())).ToList();
        Assert.Equal(counts, result.ValueCounts);
    }

    [Fact]
    public void OracleUsedBelowReproducesGoogleVectors()
    {
        // The NumPy oracle of the other tests is only worth trusting if it meets google/ffn's output too.
        var same = PythonOracle.Run(PartitionOracle.Source + """

import sys, h5py
lab = h5py.File(sys.argv[1], 'r')['labels'][...]
exp = h5py.File(sys.argv[2], 'r')['partitions'][...]
print(np.array_equal(oracle_partitions(lab, [float(t) for t in sys.argv[3].split(',')], [0, 6, 10], 0), exp))
""", Path.Combine(Vectors, "partition_input.h5"), Path.Combine(Vectors, "partition_expected_r0x6x10_min0.h5"), PartitionOracle.Thresholds);
        Assert.Equal("True", same.Trim());
    }

    /// <summary>Whitelist, exclusion spheres, mask, dust and every label dtype against the NumPy oracle.</summary>
    [Theory]
    [InlineData("uint8", "3,5,9,17,33,65,129,200,250", "3,2,1", 600, "5,9,33,129,250", "7,9,11,4,20.5,4,6,6.5", true)]
    [InlineData("uint16", "5,9,13,17,21,25,29,33,37,41", "2,3,0", 0, null, "0,0,0,9", false)]
    [InlineData("int64", "-7,2,-40000000000,11,12,13,14,15", "1,1,3", 300, "-7,-40000000000,13", null, true)]
    [InlineData("uint64", "18446744073709551615,9223372036854775808,1,2,3,4,5,6", "4,0,2", 100, "18446744073709551615,1,2", "24,20,15,3", false)]
    [InlineData("int32", "1,2,3,4,5,6,7,8,9,10,11,12", "0,0,0", 1, null, "10,10,10,3", true)]
    public void WhitelistExclusionMaskAndDustMatchNumpy(string dtype, string ids, string radiusXyz, long minSize,
        string? whitelist, string? regions, bool withMask)
    {
        using var tmp = new TempDir();
        var path = tmp.File("case.h5");
        PartitionOracle.MakeCase(path, dtype, ids, 11, radiusXyz, minSize, whitelist, regions, withMask);
        var r = radiusXyz.Split(',').Select(int.Parse).ToArray();
        var rv = regions?.Split(',').Select(double.Parse).ToArray() ?? [];
        var options = new PartitionOptions
        {
            LomRadius = new Vec3i(r[2], r[1], r[0]),
            MinSize = minSize,
            // uint64 ids above 2^63 are matched bit for bit as long.
            IdWhitelist = whitelist?.Split(',').Select(v => long.TryParse(v, out var l) ? l : unchecked((long)ulong.Parse(v))).ToArray(),
            ExclusionRegions = Enumerable.Range(0, rv.Length / 4).Select(i => ExclusionRegion.FromXyzr(rv[4 * i], rv[4 * i + 1], rv[4 * i + 2], rv[4 * i + 3])).ToArray(),
        };
        using var labels = VolumeStore.OpenRead(path + ":labels");
        using var mask = withMask ? VolumeStore.OpenRead(path + ":mask") : null;
        var result = Partitioner.Compute(labels, options, mask);
        var expected = VolumeStore.ReadAll(VolumeSpec.Parse(path + ":expected")).As<byte>();
        int diff = expected.Data.Zip(result.Partitions.Data).Count(p => p.First != p.Second);
        Assert.True(diff == 0, $"{diff} voxels differ from the NumPy oracle");
        // The case must exercise what it claims: several object values (one for radius 0: every box is full), and
        // 255 inside the valid region when excluding.
        int objectValues = result.ValueCounts.Count(c => c.Value is > 0 and < Partitioner.Excluded);
        Assert.True(objectValues >= (r.All(v => v == 0) ? 1 : 4), string.Join(" ", result.ValueCounts));
        if (withMask || regions is not null) Assert.Contains(result.ValueCounts, c => c.Value == Partitioner.Excluded);
    }

    [Fact]
    public void BadInputsAreInputErrorsNamingTheSource()
    {
        var shape = new Vec3i(6, 7, 8);
        var labels = new Volume<uint>(shape);
        labels[3, 3, 3] = 4;
        Assert.Contains("no labelled voxels", Assert.Throws<InputException>(() =>
            Partitioner.Compute(new Volume<uint>(shape), new PartitionOptions { LomRadius = Vec3i.One, MinSize = 0 })).Message);
        Assert.Contains("float32", Assert.Throws<InputException>(() =>
            Partitioner.Compute(new Volume<float>(shape), new PartitionOptions { LomRadius = Vec3i.One })).Message);
        // 2 * 3 = 6 leaves no valid z.
        Assert.Contains("too large", Assert.Throws<InputException>(() =>
            Partitioner.Compute(labels, new PartitionOptions { LomRadius = new Vec3i(3, 1, 1) })).Message);
        Assert.Contains("mask shape", Assert.Throws<InputException>(() =>
            Partitioner.Compute(labels, new PartitionOptions { LomRadius = Vec3i.One }, new Volume<byte>(new Vec3i(6, 7, 9)))).Message);
        Assert.StartsWith("--thresholds: ", Assert.Throws<InputException>(() =>
            Partitioner.Compute(labels, new PartitionOptions { Thresholds = [0.2, 0.1] })).Message);
        Assert.StartsWith("--thresholds: ", Assert.Throws<InputException>(() =>
            Partitioner.Compute(labels, new PartitionOptions { Thresholds = [0.5, 1.0] })).Message);
    }

    [Fact]
    public void RadiusZeroGivesTheTopValueAndBoundingBoxesAreAdjusted()
    {
        var labels = new Volume<ushort>(new Vec3i(3, 4, 5));
        labels[1, 2, 3] = 7;
        labels[2, 0, 0] = 8;
        var result = Partitioner.Compute(labels, new PartitionOptions { LomRadius = Vec3i.Zero, MinSize = 0 });
        // A box of one voxel is filled to fraction 1 >= 0.9: value 13; background 0; nothing is 255.
        Assert.Equal(13, result.Partitions[1, 2, 3]);
        Assert.Equal(13, result.Partitions[2, 0, 0]);
        Assert.Equal(58, result.Partitions.Data.Count(v => v == 0));

        var boxes = Partitioner.AdjustBoundingBoxes([new Box3(new Vec3i(0, 0, 0), new Vec3i(10, 20, 30)), new Box3(Vec3i.Zero, new Vec3i(4, 9, 9))],
            new Vec3i(2, 3, 4));
        Assert.Equal([new Box3(new Vec3i(2, 3, 4), new Vec3i(6, 14, 22))], boxes);
    }
}
