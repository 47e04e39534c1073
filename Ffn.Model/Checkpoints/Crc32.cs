namespace Ffn.Model.Checkpoints;

/// <summary>
/// Table-driven reflected CRC-32 of one polynomial: <see cref="Zip"/> (IEEE 802.3, as zip members and so torch.save
/// checkpoints record it) and Castagnoli's (<see cref="Crc32C"/>, TensorFlow's).
/// </summary>
public sealed class Crc32
{
    public static readonly Crc32 Zip = new(0xEDB88320u);

    private readonly uint[] _table = new uint[256];

    public Crc32(uint reversedPolynomial)
    {
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? reversedPolynomial ^ (c >> 1) : c >> 1;
            _table[i] = c;
        }
    }

    /// <summary>The CRC of <paramref name="data"/>, continuing from <paramref name="crc"/> (the CRC of what came before).</summary>
    public uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (var b in data) crc = _table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
