namespace Ffn.Model.Checkpoints;

/// <summary>CRC-32C (Castagnoli), as LevelDB tables and TensorFlow tensor bundles use, with their masking.</summary>
public static class Crc32C
{
    private static readonly Crc32 Castagnoli = new(0x82F63B78u);

    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0) => Castagnoli.Compute(data, crc);

    /// <summary>LevelDB/TensorFlow store masked CRCs so that CRCs of data containing CRCs stay well distributed.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;

    public static uint Unmask(uint masked)
    {
        uint rot = masked - 0xa282ead8u;
        return (rot >> 17) | (rot << 15);
    }
}
