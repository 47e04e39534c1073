using BitMiracle.LibTiff.Classic;
using Ffn.Model.Geometry;
using LibTiff = BitMiracle.LibTiff.Classic.Tiff;

namespace Ffn.Model.Volumes.Tiff;

/// <summary>
/// A multi-page grayscale TIFF (classic or BigTIFF, strips or tiles, any codec libtiff decodes) as a (z, y, x)
/// volume: page i is slice z = i. Reads decode only the pages, and the strips or tiles, that a box touches.
/// </summary>
public sealed class TiffVolumeReader : IVolumeReader
{
    private readonly LibTiff tif;
    private readonly long[] pages; // file offset of each page's directory
    private readonly object gate = new(); // a libtiff handle has one current directory: one reader at a time
    private byte[] blockBuffer = [];
    private bool disposed;

    private TiffVolumeReader(string path, LibTiff tif, long[] pages, VolumeInfo info)
    {
        Source = path;
        this.tif = tif;
        this.pages = pages;
        Info = info;
    }

    public string Source { get; }
    public VolumeInfo Info { get; }

    public static TiffVolumeReader Open(string path)
    {
        if (!File.Exists(path)) throw new VolumeException($"{path}: file not found");
        TiffLib.Init();
        List<long> offsets;
        try { offsets = TiffLib.PageOffsets(path); }
        catch (IOException e) { throw new VolumeException($"{path}: cannot read: {e.Message}", e); }
        if (offsets.Count == 0) throw new VolumeException($"{path}: TIFF file has no pages");

        TiffLib.ClearError();
        var tif = LibTiff.Open(path, "r");
        if (tif is null) throw new VolumeException($"{path}: not a readable TIFF file: {TiffLib.TakeError()}");
        try
        {
            var info = Scan(path, tif, offsets);
            return new TiffVolumeReader(path, tif, [.. offsets], info);
        }
        catch (Exception e)
        {
            tif.Dispose();
            if (e is VolumeException) throw;
            throw new VolumeException($"{path}: malformed TIFF: {e.Message}", e);
        }
    }

    /// <summary>Reads every page's header and checks that all pages are single-sample images of one size and type.</summary>
    private static VolumeInfo Scan(string path, LibTiff tif, List<long> offsets)
    {
        int width = 0, height = 0;
        DType dtype = default;
        Vec3i? chunks = null;
        for (int z = 0; z < offsets.Count; z++)
        {
            Select(path, tif, offsets[z], z);
            int w = Int(tif, TiffTag.IMAGEWIDTH), h = Int(tif, TiffTag.IMAGELENGTH);
            int spp = Int(tif, TiffTag.SAMPLESPERPIXEL), bits = Int(tif, TiffTag.BITSPERSAMPLE);
            int depth = Int(tif, TiffTag.IMAGEDEPTH);
            var format = (SampleFormat)Int(tif, TiffTag.SAMPLEFORMAT);
            var compression = (Compression)Int(tif, TiffTag.COMPRESSION);
            string where = offsets.Count == 1 ? path : $"{path}: page {z}";

            if (spp != 1)
            {
                var photometric = tif.GetField(TiffTag.PHOTOMETRIC) is { } p ? ((Photometric)p[0].ToInt()).ToString() : "?";
                throw new VolumeException(
                    $"{where} has {spp} samples per pixel (photometric {photometric}); only grayscale volumes are supported");
            }
            if (depth > 1) throw new VolumeException($"{where} is a {depth}-deep SGI volume image; only 2D pages are supported");
            if (w <= 0 || h <= 0) throw new VolumeException($"{where} has an empty image ({h}x{w})");
            if (TiffLib.DTypeOf(format, bits) is not { } t)
                throw new VolumeException($"{where} holds {TiffLib.Describe(format, bits)} samples; supported: "
                    + "uint8, uint16, uint32, uint64, int32, int64, float32, float64");
            if (!tif.IsCodecConfigured(compression))
                throw new VolumeException($"{where} uses compression {compression}, which the TIFF library cannot decode");

            if (z == 0)
            {
                (width, height, dtype) = (w, h, t);
                chunks = tif.IsTiled()
                    ? new Vec3i(1, Int(tif, TiffTag.TILELENGTH), Int(tif, TiffTag.TILEWIDTH))
                    : new Vec3i(1, RowsPerStrip(tif, h), w);
            }
            else if (w != width || h != height)
                throw new VolumeException($"{path}: page {z} is {h}x{w} but page 0 is {height}x{width}; "
                    + "a volume needs pages of one size");
            else if (t != dtype)
                throw new VolumeException($"{path}: page {z} holds {t.Name()} but page 0 holds {dtype.Name()}");
        }
        return new VolumeInfo(new Vec3i(offsets.Count, height, width), dtype, chunks);
    }

    public Volume Read(Box3 box)
    {
        if (box.Size.Z < 0 || box.Size.Y < 0 || box.Size.X < 0 || !Info.Box.Contains(box))
            throw new VolumeException($"{Source}: box {box} is outside the volume {Info.Box}");
        var result = Volume.Create(Info.DType, box.Size, box.Start);
        if (box.IsEmpty) return result;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            for (int z = box.Start.Z; z < box.End.Z; z++) ReadPage(z, box, result);
        }
        return result;
    }

    /// <summary>Copies the part of page <paramref name="z"/> inside <paramref name="box"/> into result, decoding
    /// only the strips or tiles that overlap the box's rows and columns.</summary>
    private void ReadPage(int z, Box3 box, Volume result)
    {
        Select(Source, tif, pages[z], z);
        int width = Info.Shape.X, height = Info.Shape.Y, esize = Info.DType.Size();
        bool tiled = tif.IsTiled();
        // Strips are blocks as wide as the page; libtiff "chops" a single uncompressed strip into ~8 KB strips
        // on open, so a few rows of a tifffile page cost a few rows of I/O.
        int bh = tiled ? Int(tif, TiffTag.TILELENGTH) : RowsPerStrip(tif, height);
        int bw = tiled ? Int(tif, TiffTag.TILEWIDTH) : width;
        if (bh <= 0 || bw <= 0) throw new VolumeException($"{Source}: page {z}: malformed TIFF (block size {bh}x{bw})");
        int blocksAcross = (width + bw - 1) / bw;
        int size = tiled ? tif.TileSize() : tif.StripSize();
        if (blockBuffer.Length < size) blockBuffer = new byte[size];

        int y0 = box.Start.Y, y1 = box.End.Y, x0 = box.Start.X, x1 = box.End.X;
        long planeStart = (long)(z - box.Start.Z) * box.Size.Y * box.Size.X;
        for (int by = y0 / bh; by <= (y1 - 1) / bh; by++)
        for (int bx = x0 / bw; bx <= (x1 - 1) / bw; bx++)
        {
            int block = by * blocksAcross + bx;
            TiffLib.ClearError();
            int n = tiled ? tif.ReadEncodedTile(block, blockBuffer, 0, -1) : tif.ReadEncodedStrip(block, blockBuffer, 0, -1);
            if (n < 0)
                throw new VolumeException($"{Source}: page {z}: cannot decode {(tiled ? "tile" : "strip")} {block}: "
                    + TiffLib.TakeError());
            int ya = Math.Max(y0, by * bh), yb = Math.Min(y1, (by + 1) * bh);
            int xa = Math.Max(x0, bx * bw), xb = Math.Min(x1, (bx + 1) * bw);
            int count = xb - xa;
            for (int y = ya; y < yb; y++)
            {
                int src = ((y - by * bh) * bw + (xa - bx * bw)) * esize;
                if (src + count * esize > n)
                    throw new VolumeException($"{Source}: page {z}: {(tiled ? "tile" : "strip")} {block} is truncated");
                long dst = planeStart + (long)(y - y0) * box.Size.X + (xa - x0);
                blockBuffer.AsSpan(src, count * esize).CopyTo(TiffLib.ElementBytes(result, dst, count));
            }
        }
    }

    private static void Select(string path, LibTiff tif, long offset, int z)
    {
        if (tif.CurrentDirOffset() == offset) return;
        TiffLib.ClearError();
        if (!tif.SetSubDirectory(offset))
            throw new VolumeException($"{path}: cannot read the header of page {z}: {TiffLib.TakeError()}");
    }

    private static int Int(LibTiff tif, TiffTag tag) =>
        tif.GetFieldDefaulted(tag) is { Length: > 0 } v ? v[0].ToInt() : tag == TiffTag.IMAGEDEPTH ? 1 : 0;

    // A missing RowsPerStrip means one strip (libtiff reports 2^32-1, which reads back as -1).
    private static int RowsPerStrip(LibTiff tif, int height) =>
        Int(tif, TiffTag.ROWSPERSTRIP) is var r && r > 0 && r < height ? r : height;

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            tif.Dispose();
        }
    }
}
