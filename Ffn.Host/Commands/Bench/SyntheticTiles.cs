using Ffn.Model.Geometry;
using Ffn.Model.Volumes;
using Ffn.Model.Volumes.Npy;

namespace Ffn.Host.Commands.Bench;

/// <summary>Generated seg_z_y_x.npy label tiles for `ffn bench stitch`, each written without the others.</summary>
public static class SyntheticTiles
{
    /// <summary>
    /// Labels from a closed form, so each tile is made alone: cells of about <paramref name="cell"/> whose walls are
    /// warped by smooth waves (so objects are not boxes and runs across faces vary), 1-voxel 0 membranes between them.
    /// Tiles are numbered on their own (ids 1..n in first-seen order), as block-wise inference writes them.
    /// </summary>
    public static long Write(string dir, Vec3i shape, Vec3i tile, Vec3i cell, IProgress<string> progress, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var boxes = Box3.FromShape(shape).Tiles(tile).ToList();
        var seen = new HashSet<long>();
        int k = 0;
        foreach (var box in boxes)
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.Combine(dir, $"seg_{box.Start.Z}_{box.Start.Y}_{box.Start.X}.npy");
            var v = Tile(shape, box, cell, seen);
            NpyFile.Write(path, v);
            progress.Report($"bench stitch: tile {++k}/{boxes.Count} {Path.GetFileName(path)}");
        }
        return seen.Count;
    }

    /// <summary>One tile's labels (ids 1..n in first-seen order, 0 on walls); adds the global cell ids it meets to <paramref name="seen"/>.</summary>
    public static Volume<uint> Tile(Vec3i shape, Box3 box, Vec3i cell, HashSet<long>? seen = null)
    {
        var cells = new Vec3i(shape.Z / cell.Z + 2, shape.Y / cell.Y + 2, shape.X / cell.X + 2);
        var v = new Volume<uint>(box.Size, box.Start);
        var global = new long[v.Length];
        Parallel.For(0, box.Size.Z, z =>
        {
            int gz = box.Start.Z + z;
            for (int y = 0; y < box.Size.Y; y++)
            {
                int gy = box.Start.Y + y;
                double wz = 5 * Math.Sin(gy / 41.0);
                double wy = 6 * Math.Sin(gz / 13.0 + 0.3);
                for (int x = 0; x < box.Size.X; x++)
                {
                    int gx = box.Start.X + x;
                    double fz = (gz + wz + 3 * Math.Sin(gx / 37.0)) / cell.Z + 1;
                    double fy = (gy + wy + 6 * Math.Sin(gx / 29.0)) / cell.Y + 1;
                    double fx = (gx + 6 * Math.Sin(gy / 31.0 + gz / 17.0)) / cell.X + 1;
                    int cz = (int)fz, cy = (int)fy, cx = (int)fx;
                    bool wall = (fy - cy) * cell.Y < 1 || (fx - cx) * cell.X < 1 || (fz - cz) * cell.Z < 1;
                    global[v.Index(z, y, x)] = wall ? 0 : ((long)cz * cells.Y + cy) * cells.X + cx + 1;
                }
            }
        });
        var local = new Dictionary<long, uint>();
        for (long i = 0; i < global.Length; i++)
        {
            long g = global[i];
            if (g == 0) continue;
            if (!local.TryGetValue(g, out var id)) local[g] = id = (uint)local.Count + 1;
            v.Data[i] = id;
            seen?.Add(g);
        }
        return v;
    }
}
