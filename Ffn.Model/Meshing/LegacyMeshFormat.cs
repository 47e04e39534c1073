using System.Buffers.Binary;
using System.Globalization;

namespace Ffn.Model.Meshing;

/// <summary>
/// Neuroglancer's precomputed legacy single-resolution mesh format (neuroglancer
/// src/datasource/precomputed/mesh.rst): a folder with <c>info</c> = {"@type": "neuroglancer_legacy_mesh"}, per
/// object a JSON manifest named <c>ID:0</c> listing its fragment files, and fragments each holding a little-endian
/// uint32 vertex count, then float32 x, y, z per vertex (nanometres in the global frame), then uint32 vertex indices,
/// three per triangle, to the end of the file. Each object here is one fragment, <c>ID.frag</c>.
/// </summary>
public static class LegacyMeshFormat
{
    public const string InfoFile = "info";
    public const string InfoJson = "{\"@type\": \"neuroglancer_legacy_mesh\"}\n";

    public static string ManifestName(ulong id) => id.ToString(CultureInfo.InvariantCulture) + ":0";

    public static string FragmentName(ulong id) => id.ToString(CultureInfo.InvariantCulture) + ".frag";

    public static string ManifestJson(ulong id) => $"{{\"fragments\": [\"{FragmentName(id)}\"]}}\n";

    public static long FragmentBytes(TriangleMesh mesh) => 4 + 4L * mesh.Positions.Length + 4L * mesh.Triangles.Length;

    public static void Write(Stream s, TriangleMesh mesh)
    {
        var buffer = new byte[1 << 16];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)mesh.VertexCount);
        s.Write(buffer, 0, 4);
        var positions = mesh.Positions;
        for (int i = 0; i < positions.Length;)
        {
            int n = Math.Min(positions.Length - i, buffer.Length / 4);
            for (int k = 0; k < n; k++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * k), positions[i + k]);
            s.Write(buffer, 0, 4 * n);
            i += n;
        }
        var triangles = mesh.Triangles;
        for (int i = 0; i < triangles.Length;)
        {
            int n = Math.Min(triangles.Length - i, buffer.Length / 4);
            for (int k = 0; k < n; k++) BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4 * k), (uint)triangles[i + k]);
            s.Write(buffer, 0, 4 * n);
            i += n;
        }
    }

    /// <exception cref="InputException">not a fragment: too short, or a length that does not fit the vertex count.</exception>
    public static TriangleMesh Read(ReadOnlySpan<byte> bytes, string source)
    {
        var (vertices, triangles) = Counts(bytes.Length, bytes.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : 0, source);
        var positions = new float[3 * vertices];
        for (int i = 0; i < positions.Length; i++) positions[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 + 4 * i)..]);
        var indices = new int[3 * triangles];
        int start = 4 + 12 * vertices;
        for (int i = 0; i < indices.Length; i++)
        {
            uint v = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(start + 4 * i)..]);
            if (v >= vertices) throw new InputException($"{source}: triangle index {v} outside the {vertices} vertices");
            indices[i] = (int)v;
        }
        return new TriangleMesh(positions, indices);
    }

    /// <summary>Vertex and triangle counts of a fragment file from its first four bytes and its length.</summary>
    public static (int Vertices, int Triangles) ReadCounts(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        f.ReadExactly(head);
        return Counts(f.Length, BinaryPrimitives.ReadUInt32LittleEndian(head), path);
    }

    private static (int Vertices, int Triangles) Counts(long length, uint vertices, string source)
    {
        long rest = length - 4 - 12L * vertices;
        if (length < 4 || rest < 0 || rest % 12 != 0 || vertices > int.MaxValue / 3 || rest / 12 > int.MaxValue / 3)
            throw new InputException($"{source}: {length} bytes is not a legacy mesh fragment of {vertices} vertices");
        return ((int)vertices, (int)(rest / 12));
    }
}
