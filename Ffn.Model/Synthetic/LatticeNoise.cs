using Ffn.Model.Geometry;

namespace Ffn.Model.Synthetic;

/// <summary>
/// Smooth value noise in [-1, 1]: random values on a coarse lattice (one node every <c>spacing</c> voxels), trilinearly
/// interpolated. Cheap to sample anywhere and deterministic for the generator's seed.
/// </summary>
internal sealed class LatticeNoise
{
    private readonly float[] _grid;
    private readonly int _gy, _gx;
    private readonly int[] _iz, _iy, _ix;
    private readonly float[] _wz, _wy, _wx;

    public LatticeNoise(Vec3i shape, double spacing, SynthRandom rng)
    {
        int gz = (int)(shape.Z / spacing) + 2, gy = (int)(shape.Y / spacing) + 2, gx = (int)(shape.X / spacing) + 2;
        _gy = gy;
        _gx = gx;
        _grid = new float[(long)gz * gy * gx];
        for (int i = 0; i < _grid.Length; i++) _grid[i] = (float)(rng.NextDouble() * 2 - 1);
        (_iz, _wz) = Axis(shape.Z, spacing);
        (_iy, _wy) = Axis(shape.Y, spacing);
        (_ix, _wx) = Axis(shape.X, spacing);
    }

    private static (int[], float[]) Axis(int n, double spacing)
    {
        var idx = new int[n];
        var w = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = i / spacing;
            idx[i] = (int)u;
            double f = u - idx[i];
            w[i] = (float)(f * f * (3 - 2 * f)); // smoothstep hides the lattice
        }
        return (idx, w);
    }

    public float Sample(int z, int y, int x)
    {
        int a = _iz[z], b = _iy[y], c = _ix[x];
        float wz = _wz[z], wy = _wy[y], wx = _wx[x];
        long i000 = ((long)a * _gy + b) * _gx + c;
        long dz = (long)_gy * _gx, dy = _gx;
        float c00 = Lerp(_grid[i000], _grid[i000 + 1], wx);
        float c01 = Lerp(_grid[i000 + dy], _grid[i000 + dy + 1], wx);
        float c10 = Lerp(_grid[i000 + dz], _grid[i000 + dz + 1], wx);
        float c11 = Lerp(_grid[i000 + dz + dy], _grid[i000 + dz + dy + 1], wx);
        return Lerp(Lerp(c00, c01, wy), Lerp(c10, c11, wy), wz);
    }

    private static float Lerp(float a, float b, float t) => a + (b - a) * t;
}
