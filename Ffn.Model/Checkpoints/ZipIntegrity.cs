using System.IO.Compression;

namespace Ffn.Model.Checkpoints;

/// <summary>
/// Checks every member of a torch.save zip against the CRC-32 and size its directory records, as Python's
/// zipfile.testzip() does. .NET's ZipArchive does not: damaged bytes would otherwise load as wrong weights.
/// </summary>
public static class ZipIntegrity
{
    /// <exception cref="CheckpointException">not a readable zip, or a member that fails its check.</exception>
    public static void Verify(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException($"{path}: truncated or corrupt PyTorch checkpoint (not a readable zip: {e.Message.Split('\n')[0]})", e);
        }
        using (zip)
        {
            var buf = new byte[1 << 16];
            foreach (var e in zip.Entries)
                if (!Intact(e, buf))
                    throw new CheckpointException($"{path}: corrupt PyTorch checkpoint: member {e.FullName} fails its CRC-32 check (the file is damaged)");
        }
    }

    private static bool Intact(ZipArchiveEntry e, byte[] buf)
    {
        try
        {
            using var s = e.Open();
            uint crc = 0;
            long size = 0;
            for (int n; (n = s.Read(buf)) > 0; size += n) crc = Crc32.Zip.Compute(buf.AsSpan(0, n), crc);
            return size == e.Length && crc == e.Crc32;
        }
        catch (InvalidDataException)
        {
            return false; // damaged compressed data
        }
    }
}
