using Ffn.Model.Geometry;
using Ffn.Model.Training;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Training;

/// <summary>
/// A 12^3 training set in a temporary directory: image value = 100 z + 10 y + x (float32, so every voxel says
/// where it came from), labels in 4^3 blocks (some 0), and coordinates at least 3 voxels from every face.
/// </summary>
public sealed class TrainingTestData : IDisposable
{
    private readonly TempDir _dir = new();

    private TrainingTestData() { }

    public string Dir => _dir.Path;
    public string ImagePath => _dir.File("image.npy");
    public string LabelPath => _dir.File("labels.npy");
    public string CoordsPath => _dir.File("coords.npy");
    public TrainingData Data { get; private set; } = null!;
    public Volume<float> Image { get; private set; } = null!;
    public Volume<uint> Labels { get; private set; } = null!;
    public Vec3i[] Centres { get; private set; } = [];

    public static TrainingTestData Create(int seed, int count = 24, int radius = 3)
    {
        var t = new TrainingTestData();
        var shape = new Vec3i(12, 12, 12);
        t.Image = new Volume<float>(shape);
        t.Labels = new Volume<uint>(shape);
        for (int z = 0; z < 12; z++)
            for (int y = 0; y < 12; y++)
                for (int x = 0; x < 12; x++)
                {
                    t.Image[z, y, x] = 100 * z + 10 * y + x;
                    int bz = z / 4, by = y / 4, bx = x / 4;
                    t.Labels[z, y, x] = (bz + by + bx) % 5 == 0 ? 0u : (uint)(bz * 9 + by * 3 + bx + 1);
                }
        NpyFile.Write(t.ImagePath, t.Image);
        NpyFile.Write(t.LabelPath, t.Labels);
        var rnd = new Random(seed);
        t.Centres = [.. Enumerable.Range(0, count).Select(_ => new Vec3i(rnd.Next(radius, 12 - radius), rnd.Next(radius, 12 - radius), rnd.Next(radius, 12 - radius)))];
        WriteCoords(t.CoordsPath, t.Centres);
        t.Data = TrainingData.Load(t.CoordsPath, [new NamedVolume("", VolumeSpec.Parse(t.ImagePath))], [new NamedVolume("", VolumeSpec.Parse(t.LabelPath))],
            Vec3i.Fill(2 * radius + 1));
        return t;
    }

    /// <summary>Coordinates as build-coordinates writes them: int64 rows of x, y, z.</summary>
    public static void WriteCoords(string path, IReadOnlyList<Vec3i> zyx) =>
        NpyFile.Write(path, NdArray.Create(zyx.SelectMany(c => new long[] { c.X, c.Y, c.Z }).ToArray(), zyx.Count, 3));

    public void Dispose() => _dir.Dispose();
}
