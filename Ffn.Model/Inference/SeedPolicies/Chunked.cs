namespace Ffn.Model.Inference.SeedPolicies;

/// <summary>Element-wise loops over large arrays in parallel chunks (one delegate call per chunk, not per element).</summary>
internal static class Chunked
{
    private const int ChunkSize = 1 << 16;

    public static void For(int length, Action<int, int> body)
    {
        int chunks = (length + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, c =>
        {
            int start = c * ChunkSize;
            body(start, Math.Min(length, start + ChunkSize));
        });
    }
}
