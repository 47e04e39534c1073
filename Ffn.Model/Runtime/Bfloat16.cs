namespace Ffn.Model.Runtime;

/// <summary>Rounding a float32 to the nearest bfloat16 (ties to even), kept as float32: the top 16 bits of its pattern.</summary>
public static class Bfloat16
{
    public static float Round(float v)
    {
        if (!float.IsFinite(v)) return v;
        uint bits = BitConverter.SingleToUInt32Bits(v);
        uint lsb = (bits >> 16) & 1;
        bits = (bits + 0x7FFF + lsb) & 0xFFFF0000u;
        return BitConverter.UInt32BitsToSingle(bits);
    }
}
