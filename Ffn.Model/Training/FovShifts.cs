using Ffn.Model.Geometry;

namespace Ffn.Model.Training;

/// <summary>The 26 neighbour FoV offsets, ±deltas on each axis, in google/ffn's order (model.shifts: x outer, z inner).</summary>
public static class FovShifts
{
    public static Vec3i[] For(Vec3i deltas)
    {
        var result = new List<Vec3i>(26);
        foreach (int dx in new[] { -deltas.X, 0, deltas.X })
            foreach (int dy in new[] { -deltas.Y, 0, deltas.Y })
                foreach (int dz in new[] { -deltas.Z, 0, deltas.Z })
                    if (dx != 0 || dy != 0 || dz != 0) result.Add(new Vec3i(dz, dy, dx));
        return [.. result];
    }
}
