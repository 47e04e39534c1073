using System.Globalization;
using System.Text.RegularExpressions;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Model.Stitching;

/// <summary>
/// A directory of FFN-PyTorch tiles, seg_Z_Y_X.npy or .npz (key 'segmentation'), also with the model-name suffix its
/// inference.py writes (seg_Z_Y_X_MODEL, where MODEL may hold '_'); Z,Y,X is the tile's corner. Tiles sit on a
/// regular grid of the tile shape over the volume (edge tiles clipped); a grid cell without a tile is empty
/// (FFN-PyTorch skips empty blocks). Blocks are the grid cells in z, y, x order, numbers compared as numbers.
/// </summary>
public sealed partial class TileDirectory
{
    private readonly string?[] _files;

    private TileDirectory(string directory, IReadOnlyList<StitchBlock> blocks, string?[] files)
    {
        Directory = directory;
        Blocks = blocks;
        _files = files;
    }

    /// <summary>Grid cells (present or not) tracked at most: their bookkeeping is kept in memory.</summary>
    public const int MaxGridCells = 4_000_000;

    public string Directory { get; }
    public IReadOnlyList<StitchBlock> Blocks { get; }
    public int Present => _files.Count(f => f is not null);
    public string? FileOf(int block) => _files[block];

    [GeneratedRegex(@"^seg_(\d+)_(\d+)_(\d+)(?:_(.+))?\.(npy|npz)$")]
    private static partial Regex TileName();

    /// <summary>Finds and checks the tiles (corner on the grid, inside the volume, one per cell; .npy shapes at once, .npz when loaded).</summary>
    public static TileDirectory Scan(string directory, Vec3i volumeShape, Vec3i tileShape)
    {
        if (!System.IO.Directory.Exists(directory)) throw new InputException($"{directory}: no such directory");
        if (!volumeShape.AllPositive) throw new InputException($"--original-shape {volumeShape}: every component must be positive");
        if (!tileShape.AllPositive) throw new InputException($"--tile-shape {tileShape}: every component must be positive");
        long cells = (long)Ceil(volumeShape.Z, tileShape.Z) * Ceil(volumeShape.Y, tileShape.Y) * Ceil(volumeShape.X, tileShape.X);
        if (cells > MaxGridCells)
            throw new InputException($"--original-shape {volumeShape} with --tile-shape {tileShape}: {cells:N0} tile positions, more than the {MaxGridCells:N0} ffn stitch tracks (both are z,y,x voxels)");
        var blocks = StitchBlock.Grid(volumeShape, tileShape);
        var grid = new Vec3i(Ceil(volumeShape.Z, tileShape.Z), Ceil(volumeShape.Y, tileShape.Y), Ceil(volumeShape.X, tileShape.X));
        var files = new string?[blocks.Count];
        foreach (var path in System.IO.Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var m = TileName().Match(name);
            if (!m.Success) continue;
            if (!int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var z)
                || !int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var y)
                || !int.TryParse(m.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var x))
                throw new InputException($"{path}: corner numbers out of range");
            var corner = new Vec3i(z, y, x);
            if (!Box3.FromShape(volumeShape).Contains(corner))
                throw new InputException($"{path}: tile corner {corner} lies outside the volume {volumeShape} (--original-shape)");
            if (z % tileShape.Z != 0 || y % tileShape.Y != 0 || x % tileShape.X != 0)
                throw new InputException($"{path}: tile corner {corner} is not on the {tileShape} grid of --tile-shape (tiles would overlap or leave gaps)");
            int index = ((z / tileShape.Z) * grid.Y + y / tileShape.Y) * grid.X + x / tileShape.X;
            if (files[index] is { } other)
                throw new InputException($"{path}: overlaps {Path.GetFileName(other)} (both are the tile at corner {corner})");
            if (name.EndsWith(".npy", StringComparison.Ordinal))
            {
                var h = NpyFile.ReadHeader(path);
                CheckShape(path, h.Shape, blocks[index]);
            }
            files[index] = path;
        }
        if (files.All(f => f is null)) throw new InputException($"{directory}: no seg_Z_Y_X.npy or .npz tiles");
        return new TileDirectory(Path.GetFullPath(directory), blocks, files);
    }

    /// <summary>Block <paramref name="block"/>'s labels at its corner (uint32, or uint64 when the tile is 64-bit), or null when it has no tile.</summary>
    public Volume? Load(int block)
    {
        var path = _files[block];
        if (path is null) return null;
        var array = path.EndsWith(".npz", StringComparison.Ordinal) ? ReadNpz(path) : NpyFile.Read(path);
        CheckShape(path, array.Shape, Blocks[block]);
        var v = ToLabels(path, array.ToVolume(path));
        v.Offset = Blocks[block].LabelBox.Start;
        return v;
    }

    /// <summary>True when every tile is .npy, whose boxes <see cref="LoadBox"/> reads without the rest of the tile.</summary>
    public bool AllNpy => _files.All(f => f is null || f.EndsWith(".npy", StringComparison.Ordinal));

    /// <summary>
    /// Block <paramref name="block"/>'s labels over <paramref name="box"/> (volume coordinates, inside the tile):
    /// only those rows are read from a .npy; a .npz is read whole.
    /// </summary>
    public Volume? LoadBox(int block, Box3 box)
    {
        var path = _files[block];
        if (path is null) return null;
        if (!path.EndsWith(".npy", StringComparison.Ordinal)) return Load(block);
        var tile = Blocks[block].LabelBox;
        if (!tile.Contains(box)) throw new ArgumentException($"{path}: box {box} lies outside the tile {tile}");
        var h = NpyFile.ReadHeader(path);
        CheckShape(path, h.Shape, Blocks[block]);
        var raw = Volume.Create(h.DType, box.Size);
        var bytes = raw.Bytes;
        int es = h.DType.Size();
        var rel = box.Start - tile.Start;
        using (var file = File.OpenHandle(path))
        {
            // Rows that are contiguous in the file (the box spans the tile's full width, or full slices) are one read.
            bool fullX = box.Size.X == tile.Size.X, fullYX = fullX && box.Size.Y == tile.Size.Y;
            long runBytes = (long)box.Size.X * es * (fullYX ? box.Size.Y * box.Size.Z : fullX ? box.Size.Y : 1);
            int runs = fullYX ? 1 : fullX ? box.Size.Z : box.Size.Z * box.Size.Y;
            for (int k = 0; k < runs; k++)
            {
                int z = fullYX ? 0 : fullX ? k : k / box.Size.Y, y = fullYX || fullX ? 0 : k % box.Size.Y;
                long element = ((long)(rel.Z + z) * tile.Size.Y + rel.Y + y) * tile.Size.X + rel.X;
                var dst = bytes.Slice((int)(k * runBytes), (int)runBytes);
                long at = h.DataOffset + element * es;
                while (dst.Length > 0)
                {
                    int n = RandomAccess.Read(file, dst, at);
                    if (n <= 0) throw new InputException($"{path}: truncated npy data");
                    dst = dst[n..];
                    at += n;
                }
            }
        }
        var v = ToLabels(path, raw);
        v.Offset = box.Start;
        return v;
    }

    private static Volume ToLabels(string path, Volume v)
    {
        return v switch
        {
            Volume<uint> or Volume<ulong> => v,
            Volume<byte> or Volume<ushort> => v.ConvertTo<uint>(),
            Volume<int> i => NonNegative(path, i.Data.AsSpan().IndexOfAnyInRange(int.MinValue, -1) < 0) ? i.ConvertTo<uint>() : v,
            Volume<long> l => NonNegative(path, l.Data.AsSpan().IndexOfAnyInRange(long.MinValue, -1) < 0) ? l.ConvertTo<ulong>() : v,
            _ => throw new InputException($"{path}: labels must be integers, found {v.DType.Name()}"),
        };
    }

    private static NdArray ReadNpz(string path)
    {
        var keys = NpzFile.Keys(path);
        if (!keys.Contains("segmentation")) throw new InputException($"{path}: no array 'segmentation' (has {string.Join(", ", keys)})");
        return NpzFile.Read(path, "segmentation");
    }

    private static bool NonNegative(string path, bool ok) => ok ? true : throw new InputException($"{path}: negative labels");

    private static void CheckShape(string path, long[] shape, StitchBlock b)
    {
        var want = b.Core.Size;
        if (shape.Length != 3 || shape[0] != want.Z || shape[1] != want.Y || shape[2] != want.X)
            throw new InputException($"{path}: shape ({string.Join(", ", shape)}) but the tile at corner {b.Core.Start} must be ({want.Z}, {want.Y}, {want.X}) "
                + "(--tile-shape clipped to --original-shape)");
    }

    private static int Ceil(int a, int b) => (int)(((long)a + b - 1) / b);
}
