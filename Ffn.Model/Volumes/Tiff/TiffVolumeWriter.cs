using BitMiracle.LibTiff.Classic;
using Ffn.Model.Geometry;
using LibTiff = BitMiracle.LibTiff.Classic.Tiff;

namespace Ffn.Model.Volumes.Tiff;

/// <summary>
/// Writes a (z, y, x) volume as a multi-page grayscale TIFF, one page per z slice, streaming: slabs of whole
/// slices arrive in z order, so the volume never has to fit in memory. The file is built through
/// <see cref="AtomicFile"/> under a temporary name beside <see cref="Path"/> and only appears under its own name,
/// flushed to disk, on <see cref="Commit"/>.
/// </summary>
public sealed class TiffVolumeWriter : IDisposable
{
    /// <summary>Target bytes per strip: small enough that a box read decodes little it does not need.</summary>
    public const int StripBytes = 1 << 16;

    // As tifffile: classic TIFF's 32-bit offsets end at 4 GiB; keep 32 MiB of that for the page directories.
    private const long ClassicLimit = (1L << 32) - (1L << 25);

    private readonly AtomicFile.Pending file;
    private readonly int rowsPerStrip;
    private readonly byte[] strip;
    private readonly SampleFormat format;
    private readonly int bits;
    private LibTiff? tif;
    private bool committed, failed;

    private TiffVolumeWriter(string path, AtomicFile.Pending file, LibTiff tif, DType dtype, Vec3i shape, bool bigTiff, bool deflate)
    {
        Path = path;
        this.file = file;
        this.tif = tif;
        DType = dtype;
        Shape = shape;
        IsBigTiff = bigTiff;
        Deflate = deflate;
        (format, bits) = TiffLib.Layout(dtype)!.Value;
        rowsPerStrip = RowsPerStrip(shape, dtype);
        strip = new byte[checked(rowsPerStrip * shape.X * dtype.Size())];
    }

    public string Path { get; }
    public DType DType { get; }
    public Vec3i Shape { get; }
    public bool IsBigTiff { get; }
    public bool Deflate { get; }

    /// <summary>The next z slice to write: the first slab starts at 0, each next one where the last ended.</summary>
    public int NextZ { get; private set; }

    /// <summary>
    /// Starts a TIFF of <paramref name="shape"/> (z, y, x). <paramref name="bigTiff"/>: null picks BigTIFF when the
    /// data would not fit a classic TIFF (about 4 GB), true always, false never (then too much data is an error).
    /// <paramref name="deflate"/> compresses each strip with zlib (tifffile's compression='zlib').
    /// </summary>
    public static TiffVolumeWriter Create(string path, DType dtype, Vec3i shape, bool? bigTiff = null, bool deflate = false)
    {
        if (TiffLib.Layout(dtype) is null)
            throw new VolumeException($"{path}: TIFF volumes cannot hold {dtype.Name()} data "
                + "(uint8, uint16, uint32, uint64, int32, int64, float32, float64 can be written)");
        if (!shape.AllPositive) throw new ArgumentException($"{path}: TIFF volume shape must be positive, got {shape}");
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new VolumeException($"{path}: directory {dir} does not exist");

        long estimate = EstimatedBytes(shape, dtype);
        bool big = bigTiff ?? estimate > ClassicLimit;
        if (!big && estimate > ClassicLimit)
            throw new VolumeException($"{path}: {estimate} bytes of {dtype.Name()} {shape} exceed a classic TIFF's 4 GB; "
                + "write a BigTIFF");

        AtomicFile.Pending file;
        try
        {
            // LibTiff reads back the directories it wrote: read-write access.
            file = AtomicFile.Begin(path, FileAccess.ReadWrite, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VolumeException($"{path}: cannot create ({e.Message.ReplaceLineEndings(" ")})", e);
        }
        TiffLib.Init();
        TiffLib.ClearError();
        // As LibTiff's Open(path, mode) does for a file it opens itself, less the closing: Commit closes the stream.
        var tif = LibTiff.ClientOpen(file.TempPath, big ? "w8" : "w", file.Stream, new KeepOpen());
        if (tif is null)
        {
            file.Dispose();
            throw new VolumeException($"{path}: cannot create: {TiffLib.TakeError()}");
        }
        return new TiffVolumeWriter(path, file, tif, dtype, shape, big, deflate);
    }

    /// <summary>Writes <paramref name="v"/> (its Offset ignored) to <paramref name="path"/> in one go.</summary>
    public static void WriteVolume(string path, Volume v, bool? bigTiff = null, bool deflate = false)
    {
        using var w = Create(path, v.DType, v.Shape, bigTiff, deflate);
        w.Append(v);
        w.Commit();
    }

    /// <summary>
    /// Appends the z slices of <paramref name="slab"/>, which must cover the full (y, x) extent and sit at
    /// Offset (<see cref="NextZ"/>, 0, 0): slabs arrive in z order without gaps or overlaps.
    /// </summary>
    public void WriteSlabs(Volume slab)
    {
        if (slab.Offset != new Vec3i(NextZ, 0, 0))
            throw new ArgumentException($"{Path}: slab at {slab.Offset} is out of order; the next slab must start at "
                + $"{new Vec3i(NextZ, 0, 0)}");
        Append(slab);
    }

    private void Append(Volume slab)
    {
        if (failed || committed || tif is null)
            throw new InvalidOperationException($"{Path}: writer is {(committed ? "committed" : "closed after an error")}");
        if (slab.DType != DType) throw new ArgumentException($"{Path}: slab holds {slab.DType.Name()}, file holds {DType.Name()}");
        if (slab.Shape.Y != Shape.Y || slab.Shape.X != Shape.X)
            throw new ArgumentException($"{Path}: slab {slab.Shape} does not cover the full (y, x) extent {Shape.Y},{Shape.X}");
        if (NextZ + slab.Shape.Z > Shape.Z)
            throw new ArgumentException($"{Path}: slab of {slab.Shape.Z} slices at z {NextZ} runs past the {Shape.Z} pages");
        try
        {
            for (int z = 0; z < slab.Shape.Z; z++)
            {
                WritePage(slab, z);
                NextZ++;
            }
        }
        catch
        {
            failed = true; // a half-written page cannot be resumed
            throw;
        }
    }

    private void WritePage(Volume slab, int z)
    {
        var t = tif!;
        int width = Shape.X, height = Shape.Y, esize = DType.Size();
        t.SetField(TiffTag.IMAGEWIDTH, width);
        t.SetField(TiffTag.IMAGELENGTH, height);
        t.SetField(TiffTag.BITSPERSAMPLE, bits);
        t.SetField(TiffTag.SAMPLESPERPIXEL, 1);
        t.SetField(TiffTag.SAMPLEFORMAT, format);
        t.SetField(TiffTag.PHOTOMETRIC, Photometric.MINISBLACK);
        t.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        t.SetField(TiffTag.ROWSPERSTRIP, rowsPerStrip);
        t.SetField(TiffTag.COMPRESSION, Deflate ? Compression.ADOBE_DEFLATE : Compression.NONE);
        // tifffile's "shaped" description: it then reads the file back as (z, y, x) even when z is 1.
        if (NextZ == 0) t.SetField(TiffTag.IMAGEDESCRIPTION, $"{{\"shape\": [{Shape.Z}, {Shape.Y}, {Shape.X}]}}");

        long page = (long)z * height * width;
        for (int s = 0, y = 0; y < height; s++, y += rowsPerStrip)
        {
            int count = Math.Min(rowsPerStrip, height - y) * width;
            TiffLib.ElementBytes(slab, page + (long)y * width, count).CopyTo(strip);
            TiffLib.ClearError();
            if (t.WriteEncodedStrip(s, strip, count * esize) < 0)
                throw new VolumeException($"{Path}: cannot write page {NextZ}: {TiffLib.TakeError()}");
        }
        TiffLib.ClearError();
        if (!t.WriteDirectory()) throw new VolumeException($"{Path}: cannot write page {NextZ}: {TiffLib.TakeError()}");
    }

    /// <summary>Checks that every page was written, finishes the file and moves it to <see cref="Path"/>
    /// (replacing any file there).</summary>
    public void Commit()
    {
        if (committed) return;
        if (failed || tif is null) throw new InvalidOperationException($"{Path}: cannot commit after a failed write");
        if (NextZ != Shape.Z)
            throw new InvalidOperationException($"{Path}: only {NextZ} of {Shape.Z} pages were written");
        tif.Dispose();
        tif = null;
        file.Commit();
        committed = true;
    }

    /// <summary>Without <see cref="Commit"/>, removes the temporary file: no partial volume is left behind.</summary>
    public void Dispose()
    {
        if (committed) return;
        try { tif?.Dispose(); }
        finally
        {
            tif = null;
            failed = true;
            file.Dispose();
        }
    }

    /// <summary>LibTiff's stream adapter without its Close, which would close the file before it is flushed to disk.</summary>
    private sealed class KeepOpen : TiffStream
    {
        public override void Close(object clientData) { }
    }

    private static int RowsPerStrip(Vec3i shape, DType dtype) =>
        (int)Math.Clamp(StripBytes / ((long)shape.X * dtype.Size()), 1, shape.Y);

    /// <summary>Data plus a generous allowance for each page's directory and strip tables.</summary>
    private static long EstimatedBytes(Vec3i shape, DType dtype)
    {
        long strips = (shape.Y + RowsPerStrip(shape, dtype) - 1) / RowsPerStrip(shape, dtype);
        return shape.Product * dtype.Size() + shape.Z * (512 + 16 * strips);
    }
}
