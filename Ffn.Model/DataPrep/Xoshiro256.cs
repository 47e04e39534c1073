namespace Ffn.Model.DataPrep;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a fast generator whose sequence is fixed by this
/// code, not by the .NET version (System.Random's seeded algorithm is an implementation detail), so coordinate
/// files are reproducible from their seed everywhere.
/// </summary>
internal struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    public ulong Next()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9, t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject).</summary>
    public ulong NextBelow(ulong n)
    {
        ulong hi = Math.BigMul(Next(), n, out ulong lo);
        if (lo < n)
        {
            ulong threshold = (0 - n) % n;
            while (lo < threshold) hi = Math.BigMul(Next(), n, out lo);
        }
        return hi;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
