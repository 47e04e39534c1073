using System.Numerics;
using System.Runtime.InteropServices;
using Ffn.Model.Geometry;

namespace Ffn.Model.DataPrep;

/// <summary>
/// Computes, for every voxel of one object inside the valid region, how many voxels of the same object lie in its
/// LOM box (2r+1 per axis), and turns that count into a partition value. Work and memory stay within the object's
/// bounding box B: no voxel outside B belongs to the object, so box sums clipped to B are exact.
/// </summary>
/// <remarks>
/// Separable running sums: per z slice of B a running x window over each row, then a running y window over rows
/// (vectorized); along z a running sum of those slice sums, whose last 2rz+1 slices sit in a ring buffer. Memory is
/// min(bz, 2rz+1) * by * bx ints. Not thread-safe: one instance per worker, reused across objects.
/// </remarks>
internal sealed class LomCounter(int[] ids, Vec3i shape, Vec3i radius, Box3 valid, byte[] output, ValueTable values)
{
    private int[] _ring = [];
    private int[] _rows = [];
    private int[] _acc = [];
    private bool[] _sliceUsed = [];
    private bool[] _rowUsed = [];

    // The object being processed.
    private int _id, _w, _area;
    private Box3 _b;

    /// <summary>
    /// Writes the partition value of each voxel of object <paramref name="id"/> (bounding box <paramref name="box"/>)
    /// inside the valid region into the output, where the output still holds 0 (not excluded or masked).
    /// </summary>
    public void Process(int id, Box3 box)
    {
        var o = box.Intersect(valid);   // where output values are wanted
        if (o.IsEmpty) return;
        _id = id;
        _b = box;
        _area = box.Size.Y * box.Size.X;
        _w = Math.Min(box.Size.Z, 2 * radius.Z + 1);
        Ensure(ref _ring, (long)_w * _area);
        Ensure(ref _rows, _area);
        Ensure(ref _acc, _area);
        Ensure(ref _sliceUsed, _w);
        Ensure(ref _rowUsed, box.Size.Y);
        var acc = _acc.AsSpan(0, _area);
        acc.Clear();

        int z0 = box.Start.Z, z1 = box.End.Z, rz = radius.Z;
        for (int z = Math.Max(z0, o.Start.Z - rz); z <= Math.Min(z1 - 1, o.Start.Z + rz); z++) AddSlice(z, acc);
        for (int z = o.Start.Z; z < o.End.Z; z++)
        {
            if (z > o.Start.Z)
            {
                // Remove before add: the leaving and the entering slice may share a ring slot.
                int leave = z - rz - 1, enter = z + rz;
                if (leave >= z0 && _sliceUsed[Slot(leave)]) SubtractFrom(acc, Ring(leave));
                if (enter < z1) AddSlice(enter, acc);
            }
            Readout(z, o, acc);
        }
    }

    private int Slot(int z) => (z - _b.Start.Z) % _w;

    private Span<int> Ring(int z) => _ring.AsSpan(Slot(z) * _area, _area);

    private void AddSlice(int z, Span<int> acc)
    {
        var slice = Ring(z);
        bool used = SliceSums(z, slice);
        _sliceUsed[Slot(z)] = used;
        if (used) AddTo(acc, slice);
    }

    /// <summary>Box sums over x and y (clipped to B) of the object's mask in slice z; false when the slice has none.</summary>
    private bool SliceSums(int z, Span<int> dst)
    {
        int by = _b.Size.Y, bx = _b.Size.X, ry = radius.Y;
        bool any = false;
        for (int y = 0; y < by; y++)
        {
            var src = ids.AsSpan((int)(((long)z * shape.Y + _b.Start.Y + y) * shape.X + _b.Start.X), bx);
            _rowUsed[y] = RowSums(src, _id, radius.X, _rows.AsSpan(y * bx, bx));
            any |= _rowUsed[y];
        }
        if (!any) return false;
        // Running window over rows: row y of dst = sum of the row sums of rows y-ry .. y+ry.
        var prev = dst[..bx];
        prev.Clear();
        for (int y = 0; y <= Math.Min(by - 1, ry); y++)
            if (_rowUsed[y]) AddTo(prev, _rows.AsSpan(y * bx, bx));
        for (int y = 1; y < by; y++)
        {
            var cur = dst.Slice(y * bx, bx);
            prev.CopyTo(cur);
            int enter = y + ry, leave = y - ry - 1;
            if (enter < by && _rowUsed[enter]) AddTo(cur, _rows.AsSpan(enter * bx, bx));
            if (leave >= 0 && _rowUsed[leave]) SubtractFrom(cur, _rows.AsSpan(leave * bx, bx));
            prev = cur;
        }
        return true;
    }

    private void Readout(int z, Box3 o, ReadOnlySpan<int> acc)
    {
        for (int y = o.Start.Y; y < o.End.Y; y++)
        {
            long rowStart = ((long)z * shape.Y + y) * shape.X + o.Start.X;
            var row = ids.AsSpan((int)rowStart, o.Size.X);
            var sums = acc.Slice((y - _b.Start.Y) * _b.Size.X + (o.Start.X - _b.Start.X), o.Size.X);
            var dst = output.AsSpan((int)rowStart, o.Size.X);
            int x = row.IndexOf(_id);
            while (x >= 0)
            {
                int rest = row[x..].IndexOfAnyExcept(_id);
                int end = rest < 0 ? row.Length : x + rest;
                for (; x < end; x++)
                    if (dst[x] == 0) dst[x] = values.ValueOf(sums[x]);
                int next = end < row.Length ? row[end..].IndexOf(_id) : -1;
                x = next < 0 ? -1 : end + next;
            }
        }
    }

    /// <summary>dst[x] = how many of src[x-rx .. x+rx] (clipped to the row) equal id; false when none of src does.</summary>
    private static bool RowSums(ReadOnlySpan<int> src, int id, int rx, Span<int> dst)
    {
        int first = src.IndexOf(id);
        if (first < 0) return false;
        int last = src.LastIndexOf(id), n = src.Length;
        dst.Clear();
        // Only [first - rx, last + rx] can be non-zero: count the window at its start, then slide.
        int lo = Math.Max(0, first - rx), hi = Math.Min(n, last + rx + 1);
        int c = 0;
        for (int x = Math.Max(0, lo - rx); x <= Math.Min(n - 1, lo + rx); x++) c += src[x] == id ? 1 : 0;
        dst[lo] = c;
        for (int x = lo + 1; x < hi; x++)
        {
            int enter = x + rx, leave = x - rx - 1;
            if (enter < n && src[enter] == id) c++;
            if (leave >= 0 && src[leave] == id) c--;
            dst[x] = c;
        }
        return true;
    }

    private static void AddTo(Span<int> dst, ReadOnlySpan<int> src)
    {
        var d = MemoryMarshal.Cast<int, Vector<int>>(dst);
        var s = MemoryMarshal.Cast<int, Vector<int>>(src[..dst.Length]);
        for (int k = 0; k < d.Length; k++) d[k] += s[k];
        for (int i = d.Length * Vector<int>.Count; i < dst.Length; i++) dst[i] += src[i];
    }

    private static void SubtractFrom(Span<int> dst, ReadOnlySpan<int> src)
    {
        var d = MemoryMarshal.Cast<int, Vector<int>>(dst);
        var s = MemoryMarshal.Cast<int, Vector<int>>(src[..dst.Length]);
        for (int k = 0; k < d.Length; k++) d[k] -= s[k];
        for (int i = d.Length * Vector<int>.Count; i < dst.Length; i++) dst[i] -= src[i];
    }

    private static void Ensure<T>(ref T[] buffer, long length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}
