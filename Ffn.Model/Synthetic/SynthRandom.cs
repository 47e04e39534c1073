using Ffn.Model.DataPrep;

namespace Ffn.Model.Synthetic;

/// <summary>
/// The synthetic generator's random source: xoshiro256** (a sequence fixed by our code, unlike System.Random's
/// seeded algorithm, which is a .NET implementation detail) and a Box-Muller Gaussian through
/// <see cref="StableMath"/>, so a seed gives the same volume on every machine and .NET version.
/// </summary>
internal sealed class SynthRandom(ulong seed)
{
    private Xoshiro256 _state = new(seed);

    /// <summary>A generator for one part of the work (a z slice, say), independent of how many came before it.</summary>
    public static SynthRandom For(int seed, int stream, int part) =>
        new(Mix(((ulong)(uint)seed << 32) | (uint)stream) ^ (ulong)(uint)part);

    public double NextDouble() => _state.NextDouble();

    /// <summary>Uniform in [0, 2^31).</summary>
    public int NextInt() => (int)(_state.Next() >> 33);

    public double Gaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2 * StableMath.Log(u1)) * StableMath.Cos(2 * Math.PI * u2);
    }

    /// <summary>SplitMix64's finalizer: a fixed, well-mixed 64-bit hash.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
