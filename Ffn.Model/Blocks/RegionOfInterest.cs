using System.Globalization;
using Ffn.Model.Geometry;

namespace Ffn.Model.Blocks;

/// <summary>
/// The part of a volume a run segments, written Z0:Z1,Y0:Y1,X0:X1 (half-open voxel ranges, as NumPy slices; an
/// empty bound is the volume's edge, so ":,:,0:512" is the first 512 columns).
/// </summary>
public static class RegionOfInterest
{
    /// <exception cref="InputException">text that is not three ranges inside <paramref name="volumeShape"/>, named by <paramref name="flag"/>.</exception>
    public static Box3 Parse(string flag, string text, Vec3i volumeShape)
    {
        var parts = text.Split(',');
        if (parts.Length != 3) throw new InputException($"{flag} {text}: give three ranges Z0:Z1,Y0:Y1,X0:X1");
        int[] start = new int[3], end = new int[3];
        for (int a = 0; a < 3; a++)
        {
            var range = parts[a].Split(':');
            if (range.Length != 2) throw new InputException($"{flag} {text}: '{parts[a]}' is not a range START:END");
            start[a] = Bound(range[0], 0);
            end[a] = Bound(range[1], volumeShape[a]);
            if (start[a] < 0 || end[a] > volumeShape[a] || start[a] >= end[a])
                throw new InputException($"{flag} {text}: {"zyx"[a]} range {start[a]}:{end[a]} is empty or outside the volume's 0:{volumeShape[a]} (shape {volumeShape})");
        }
        return Box3.FromStartEnd(new Vec3i(start[0], start[1], start[2]), new Vec3i(end[0], end[1], end[2]));

        int Bound(string s, int empty)
        {
            s = s.Trim();
            if (s.Length == 0) return empty;
            return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
                ? v : throw new InputException($"{flag} {text}: '{s}' is not a whole number");
        }
    }

    public static string Format(Box3 box) => string.Create(CultureInfo.InvariantCulture,
        $"{box.Start.Z}:{box.End.Z},{box.Start.Y}:{box.End.Y},{box.Start.X}:{box.End.X}");
}
