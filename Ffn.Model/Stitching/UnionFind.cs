namespace Ffn.Model.Stitching;

/// <summary>Disjoint sets over 0..Count-1, grown on demand; union by size, path halving (near-constant per call).</summary>
public sealed class UnionFind
{
    private int[] _parent = new int[64];
    private int[] _size = new int[64];

    public int Count { get; private set; }

    /// <summary>Adds <paramref name="n"/> singletons and returns the first new element.</summary>
    public int AddRange(int n)
    {
        int first = Count;
        int need = checked(Count + n);
        if (need > _parent.Length)
        {
            int cap = Math.Max(need, _parent.Length * 2);
            Array.Resize(ref _parent, cap);
            Array.Resize(ref _size, cap);
        }
        for (int i = first; i < need; i++)
        {
            _parent[i] = i;
            _size[i] = 1;
        }
        Count = need;
        return first;
    }

    public int Find(int x)
    {
        var p = _parent;
        while (p[x] != x)
        {
            p[x] = p[p[x]];
            x = p[x];
        }
        return x;
    }

    /// <summary>Joins the sets of a and b; true when they were separate.</summary>
    public bool Union(int a, int b)
    {
        a = Find(a);
        b = Find(b);
        if (a == b) return false;
        if (_size[a] < _size[b]) (a, b) = (b, a);
        _parent[b] = a;
        _size[a] += _size[b];
        return true;
    }

    public long Bytes => (long)_parent.Length * sizeof(int) * 2;
}
