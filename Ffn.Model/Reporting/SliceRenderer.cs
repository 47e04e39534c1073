using Ffn.Model.Volumes;

namespace Ffn.Model.Reporting;

/// <summary>
/// Draws one ortho slice: the EM in grey with each object's colour laid over it, translucent inside and nearly
/// opaque on its outline, so objects and the membranes between them both stay visible. Reads only that plane.
/// </summary>
public static class SliceRenderer
{
    public const double FillAlpha = 0.40, OutlineAlpha = 0.85;

    /// <param name="image">The EM, or null to draw the segmentation on black.</param>
    /// <param name="maxSide">Planes longer than this are subsampled (nearest voxel) so pictures stay small.</param>
    public static RgbImage Render(IVolumeReader? image, IVolumeReader segmentation, OrthoPlane plane, int position, int maxSide = 1024)
    {
        var shape = segmentation.Info.Shape;
        if (image != null && image.Info.Shape != shape)
            throw new InputException($"{image.Source} has shape {image.Info.Shape} but the segmentation {segmentation.Source} has {shape}");
        var box = plane.Box(shape, position);
        var (w, h) = plane.Size(shape);
        int step = Math.Max(1, (Math.Max(w, h) + maxSide - 1) / maxSide);
        int ow = (w + step - 1) / step, oh = (h + step - 1) / step;

        // Plane voxels are stored row by row in both the box's C order and the picture: index = row * w + col.
        var seg = segmentation.Read(box).ConvertTo<ulong>().Data;
        var grey = image == null ? null : GreyLevels(image.Read(box));
        var labels = new ulong[ow * oh];
        var greyOut = new byte[ow * oh];
        for (int r = 0; r < oh; r++)
        for (int c = 0; c < ow; c++)
        {
            long src = (long)r * step * w + (long)c * step;
            labels[r * ow + c] = seg[src];
            greyOut[r * ow + c] = grey == null ? (byte)0 : grey[src];
        }
        return Compose(greyOut, labels, ow, oh);
    }

    /// <summary>Grey + overlay for a plane already in memory (row-major, <paramref name="width"/> columns).</summary>
    public static RgbImage Compose(byte[] grey, ulong[] labels, int width, int height)
    {
        var img = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = y * width + x;
            var g = grey[i];
            var px = new Rgb(g, g, g);
            var id = labels[i];
            if (id != 0)
            {
                bool edge = (x > 0 && labels[i - 1] != id) || (x < width - 1 && labels[i + 1] != id)
                         || (y > 0 && labels[i - width] != id) || (y < height - 1 && labels[i + width] != id);
                px = px.Blend(LabelColors.For(id), edge ? OutlineAlpha : FillAlpha);
            }
            img[x, y] = px;
        }
        return img;
    }

    /// <summary>8-bit grey levels: uint8 as stored, any other type stretched from the plane's minimum to maximum.</summary>
    private static byte[] GreyLevels(Volume v)
    {
        var result = new byte[v.Length];
        if (v is Volume<byte> b)
        {
            b.Data.CopyTo(result, 0);
            return result;
        }
        double lo = double.MaxValue, hi = double.MinValue;
        for (long i = 0; i < v.Length; i++)
        {
            double d = v.GetDouble(i);
            lo = Math.Min(lo, d);
            hi = Math.Max(hi, d);
        }
        double scale = hi > lo ? 255.0 / (hi - lo) : 0;
        for (long i = 0; i < v.Length; i++) result[i] = (byte)Math.Round((v.GetDouble(i) - lo) * scale);
        return result;
    }
}
