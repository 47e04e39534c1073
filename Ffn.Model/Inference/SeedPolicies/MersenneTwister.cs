namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>
/// MT19937 with NumPy's legacy <c>RandomState</c> seeding and <c>random_sample</c> (53-bit doubles), so that
/// <c>new MersenneTwister(42)</c> yields exactly the values of <c>np.random.RandomState(42).rand(...)</c> in C order.
/// google/ffn adds such noise to the distance transform to break ties between peaks; reproducing it bit for bit
/// is what makes our seed list equal Google's.
/// </summary>
public sealed class MersenneTwister
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _key = new uint[N];
    private int _pos;

    public MersenneTwister(uint seed) => Seed(seed);

    /// <summary>NumPy's <c>mt19937_seed</c> for an integer seed (Knuth's multiplier; the classic init_genrand).</summary>
    public void Seed(uint seed)
    {
        _key[0] = seed;
        for (int i = 1; i < N; i++)
            _key[i] = 1812433253u * (_key[i - 1] ^ (_key[i - 1] >> 30)) + (uint)i;
        _pos = N; // the first draw regenerates the whole state, as NumPy does
    }

    public uint NextUInt32()
    {
        if (_pos >= N) Regenerate();
        return Temper(_key[_pos++]);
    }

    /// <summary>A double in [0, 1) from two draws (27 + 26 bits), NumPy's <c>random_sample</c>.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5;
        uint b = NextUInt32() >> 6;
        return Combine(a, b);
    }

    /// <summary>Fills <paramref name="destination"/> in order, as <c>rand(*shape)</c> fills a C-order array.</summary>
    public void Fill(Span<double> destination)
    {
        var key = _key;
        int i = 0;
        while (i < destination.Length)
        {
            if (_pos > N - 2)
            {
                destination[i++] = NextDouble(); // the pair straddles a regeneration
                continue;
            }
            // Fast path: whole pairs left in the current state block.
            int pairs = Math.Min((N - _pos) / 2, destination.Length - i);
            int pos = _pos;
            for (int k = 0; k < pairs; k++, pos += 2)
                destination[i++] = Combine(Temper(key[pos]) >> 5, Temper(key[pos + 1]) >> 6);
            _pos = pos;
        }
    }

    // (a·2^26 + b) / 2^53; multiplying by the exact power of two gives the same double as NumPy's division.
    private static double Combine(uint a, uint b) => (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);

    private static uint Temper(uint y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void Regenerate()
    {
        int i;
        for (i = 0; i < N - M; i++)
            _key[i] = _key[i + M] ^ Twist(_key[i], _key[i + 1]);
        for (; i < N - 1; i++)
            _key[i] = _key[i + M - N] ^ Twist(_key[i], _key[i + 1]);
        _key[N - 1] = _key[M - 1] ^ Twist(_key[N - 1], _key[0]);
        _pos = 0;
    }

    private static uint Twist(uint upper, uint lower)
    {
        uint y = (upper & UpperMask) | (lower & LowerMask);
        return (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
    }
}
