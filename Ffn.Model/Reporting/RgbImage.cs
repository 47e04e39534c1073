namespace Ffn.Model.Reporting;

/// <summary>An 8-bit RGB picture, rows top to bottom, 3 bytes per pixel.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        Width = width;
        Height = height;
        Pixels = new byte[checked(width * height * 3)];
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
        set
        {
            int i = (y * Width + x) * 3;
            Pixels[i] = value.R;
            Pixels[i + 1] = value.G;
            Pixels[i + 2] = value.B;
        }
    }
}

/// <summary>One colour; <see cref="Hex"/> is its CSS form.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public string Hex => $"#{R:x2}{G:x2}{B:x2}";

    /// <summary>(1 - a) * this + a * other, per channel, rounded.</summary>
    public Rgb Blend(Rgb other, double a) => new(Mix(R, other.R, a), Mix(G, other.G, a), Mix(B, other.B, a));

    private static byte Mix(byte x, byte y, double a) => (byte)Math.Clamp(Math.Round(x + (y - x) * a), 0, 255);
}
