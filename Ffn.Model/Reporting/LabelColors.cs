namespace Ffn.Model.Reporting;

/// <summary>
/// A fixed colour per object id, the same in every view and every report: the id is hashed (SplitMix64) to a hue
/// and a saturation/value in a bright band, so neighbouring ids (which are usually neighbouring objects) differ.
/// </summary>
public static class LabelColors
{
    public static Rgb For(ulong id)
    {
        ulong h = SplitMix(id);
        double hue = (h & 0xFFFF) / 65536.0 * 360.0;
        double sat = 0.55 + ((h >> 16) & 0xFF) / 255.0 * 0.4;
        double val = 0.75 + ((h >> 24) & 0xFF) / 255.0 * 0.25;
        return FromHsv(hue, sat, val);
    }

    public static Rgb FromHsv(double hue, double sat, double val)
    {
        double c = val * sat, hp = hue / 60.0, x = c * (1 - Math.Abs(hp % 2 - 1)), m = val - c;
        var (r, g, b) = (int)Math.Floor(hp) switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        static byte B(double v) => (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
        return new Rgb(B(r + m), B(g + m), B(b + m));
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
