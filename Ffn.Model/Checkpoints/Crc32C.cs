namespace Ffn.Model.Checkpoints;

/// <summary>CRC-32C (Castagnoli), as LevelDB tables and TensorFlow tensor bundles use, with their masking.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>LevelDB/TensorFlow store masked CRCs so that CRCs of data containing CRCs stay well distributed.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    public static uint Unmask(uint masked)
    {
        uint rot = masked - 0xa282ead8u;
        return (rot >> 17) | (rot << 15);
    }
}
