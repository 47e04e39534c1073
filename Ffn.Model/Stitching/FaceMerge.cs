using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Stitching;

/// <summary>
/// The faces rule as linear scans. For each block and face only a one-voxel-thick "qualified plane" is kept: the
/// label on the face where it runs at least m voxels inward (within the block's Core), else 0. Two facing planes then
/// give the merge pairs position by position. The run length follows FFN-PyTorch's slice check: where the volume
/// edge is nearer than m, the run only has to reach the edge (NumPy clips the slice), and a run that would have to
/// leave the block's Core fails (the neighbouring tile holds other ids).
/// </summary>
internal static class FaceMerge
{
    /// <summary>
    /// The qualified plane of <paramref name="labels"/> over <paramref name="contact"/> (one voxel thick along
    /// <paramref name="axis"/>, at the boundary coordinate b: the block's Core ends at b when
    /// <paramref name="low"/>, else starts there); null when nothing can qualify.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    public static Volume<uint>? QualifiedPlane(Volume<uint> labels, Box3 core, Box3 contact, int axis, bool low, int m, Vec3i volumeShape)
    {
        int b = contact.Start[axis];
        int need = low ? Math.Min(m, b) : Math.Min(m, volumeShape[axis] - b);
        if (core.Size[axis] < need || need < 1) return null;
        var plane = new Volume<uint>(contact.Size, contact.Start);
        var off = labels.Offset;
        int rz = contact.Size.Z, ry = contact.Size.Y, rx = contact.Size.X;
        int z0 = contact.Start.Z - off.Z, y0 = contact.Start.Y - off.Y, x0 = contact.Start.X - off.X;
        switch (axis)
        {
            case 0:
                for (int d = 0; d < need; d++)
                {
                    int lz = (low ? b - 1 - d : b + d) - off.Z;
                    for (int y = 0; y < ry; y++)
                        Combine(labels.Row(lz, y0 + y).Slice(x0, rx), plane.Row(0, y), d == 0);
                }
                break;
            case 1:
                for (int z = 0; z < rz; z++)
                for (int d = 0; d < need; d++)
                {
                    int ly = (low ? b - 1 - d : b + d) - off.Y;
                    Combine(labels.Row(z0 + z, ly).Slice(x0, rx), plane.Row(z, 0), d == 0);
                }
                break;
            default:
            {
                int start = (low ? b - need : b) - off.X, face = (low ? b - 1 : b) - off.X;
                var dst = plane.Data;
                for (int z = 0, k = 0; z < rz; z++)
                for (int y = 0; y < ry; y++, k++)
                {
                    var row = labels.Row(z0 + z, y0 + y);
                    uint v = row[face];
                    dst[k] = v != 0 && row.Slice(start, need).IndexOfAnyExcept(v) < 0 ? v : 0;
                }
                break;
            }
        }
        return plane;
    }

    /// <summary>dst = src on the first layer; afterwards dst keeps its label only where src still equals it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    private static void Combine(ReadOnlySpan<uint> src, Span<uint> dst, bool first)
    {
        if (first)
        {
            src.CopyTo(dst);
            return;
        }
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = MemoryMarshal.Cast<uint, Vector<uint>>(src);
            var vd = MemoryMarshal.Cast<uint, Vector<uint>>(dst);
            for (int k = 0; k < vs.Length; k++) vd[k] &= Vector.Equals(vs[k], vd[k]);
            i = vs.Length * Vector<uint>.Count;
        }
        for (; i < src.Length; i++) if (src[i] != dst[i]) dst[i] = 0;
    }

    /// <summary>
    /// Unions the objects facing each other on the planes of the low and high block; returns the number of distinct
    /// pairs found (each seen once per pair of planes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: skip tier-0 code in a short-lived process
    public static long Match(Volume<uint> lowPlane, BlockLabels lowTable, Volume<uint> highPlane, BlockLabels highTable,
        UnionFind uf, HashSet<ulong> seen)
    {
        var pa = lowPlane.Data;
        var pb = highPlane.Data;
        long found = 0;
        uint lastA = 0, lastB = 0;
        for (int i = 0; i < pa.Length; i++)
        {
            uint a = pa[i], b = pb[i];
            if (a == 0 || b == 0 || (a == lastA && b == lastB)) continue;
            lastA = a;
            lastB = b;
            int ra = lowTable.Base + lowTable.Rank(a), rb = highTable.Base + highTable.Rank(b);
            if (seen.Add(((ulong)(uint)ra << 32) | (uint)rb))
            {
                found++;
                uf.Union(ra, rb);
            }
        }
        return found;
    }
}
