using Ffn.Model.DataPrep;

namespace Ffn.Model.Training;

/// <summary>
/// The random stream of one training example, fixed by the run's seed and the example's ordinal, so that a resumed
/// run re-creates exactly the examples an uninterrupted one would have seen, whatever was in flight at the kill.
/// </summary>
internal struct TrainingRandom(ulong seed, long ordinal)
{
    private Xoshiro256 _g = new(seed * 0x9E3779B97F4A7C15UL ^ (ulong)ordinal * 0xD1B54A32D192ED03UL ^ 0x5851F42D4C957F2DUL);

    public int Below(int n) => (int)_g.NextBelow((ulong)n);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (_g.Next() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    public void Shuffle<T>(T[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = Below(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
