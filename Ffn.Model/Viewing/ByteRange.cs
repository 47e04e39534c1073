using System.Globalization;

namespace Ffn.Model.Viewing;

/// <summary>
/// One HTTP byte range (RFC 9110 "bytes=" ranges, as Neuroglancer and zarr clients send them) resolved against a
/// length. Several ranges in one header are answered with the whole file; anything else that does not parse, or a
/// range wholly past the end, is refused (416) rather than guessed at.
/// </summary>
public readonly record struct ByteRange(long Start, long Length)
{
    public enum Outcome { Whole, Partial, Refused }

    public long End => Start + Length - 1;

    /// <summary>Resolves <paramref name="header"/> (null or empty = the whole file) against <paramref name="length"/>.</summary>
    public static Outcome Parse(string? header, long length, out ByteRange range)
    {
        range = new ByteRange(0, length);
        if (string.IsNullOrWhiteSpace(header)) return Outcome.Whole;
        var h = header.Trim();
        if (!h.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return Outcome.Refused;
        var spec = h[6..].Trim();
        if (spec.Contains(',')) return Outcome.Whole;
        int dash = spec.IndexOf('-');
        if (dash < 0) return Outcome.Refused;
        string a = spec[..dash].Trim(), b = spec[(dash + 1)..].Trim();
        if (a.Length == 0)
        {
            // bytes=-N: the last N bytes.
            if (!TryNumber(b, out long suffix) || suffix == 0) return Outcome.Refused;
            long n = Math.Min(suffix, length);
            if (n == 0) return Outcome.Refused;
            range = new ByteRange(length - n, n);
            return Outcome.Partial;
        }
        if (!TryNumber(a, out long first)) return Outcome.Refused;
        long last = length - 1;
        if (b.Length > 0)
        {
            if (!TryNumber(b, out last) || last < first) return Outcome.Refused;
            last = Math.Min(last, length - 1);
        }
        if (first >= length) return Outcome.Refused;
        range = new ByteRange(first, last - first + 1);
        return Outcome.Partial;
    }

    private static bool TryNumber(string s, out long v) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v) && v >= 0;
}
