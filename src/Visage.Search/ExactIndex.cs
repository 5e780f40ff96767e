using System.Numerics.Tensors;

namespace Visage.Search;

/// <summary>Exact cosine search: every vector stored as float32 and scanned with SIMD dot products.
/// The scan is single-threaded per query on purpose: the service already runs requests in parallel,
/// and splitting one query across cores would only steal them from other requests.
/// 2 KB per 512-d vector; a query reads all of it (~15–20 ms of one core per 100,000 vectors here).</summary>
public sealed class ExactIndex(int dimension) : SlotIndex(dimension)
{
    private readonly ChunkedSlots<float> _vectors = new(dimension);

    protected override long VectorBytes => _vectors.Bytes;
    protected override void EnsureSlots(int capacity) => _vectors.EnsureCapacity(capacity);
    protected override void Store(int slot, long key, ReadOnlySpan<float> unit) => unit.CopyTo(_vectors.Row(slot));
    protected override void MoveSlot(int from, int to, long movedKey, long removedKey) => _vectors.Move(from, to);
    protected override void Shrunk(int count) => _vectors.TrimTo(count);
    protected override void ReleaseStorage() => _vectors.Clear();

    protected override Neighbor[] SearchUnit(ReadOnlySpan<float> unitQuery, int k, float minSimilarity)
    {
        var answers = new IReadOnlyList<Neighbor>[1];
        SearchFloats(_vectors, LiveCount, Keys, unitQuery, 1, k, minSimilarity, answers);
        return (Neighbor[])answers[0];
    }

    protected override void SearchUnitBatch(ReadOnlySpan<float> units, int queryCount, int k, float minSimilarity, IReadOnlyList<Neighbor>[] answers) =>
        SearchFloats(_vectors, LiveCount, Keys, units, queryCount, k, minSimilarity, answers);

    /// <summary>Rows per tile of the batched scan: 32 x 512 floats = 64 KB stay in L2 while every query of the
    /// batch meets them, so memory is read once per batch instead of once per query.</summary>
    private const int TileRows = 32;

    /// <summary>The exact scan for one or many unit queries (row-major). Each similarity is the same
    /// <see cref="TensorPrimitives.Dot"/> call whatever the batch, and the top-k order is total (ties → smaller
    /// key), so a query's answer does not depend on the batch it came in.</summary>
    internal static void SearchFloats(ChunkedSlots<float> vectors, int count, ReadOnlySpan<long> keys,
        ReadOnlySpan<float> queries, int queryCount, int k, float minSimilarity, IReadOnlyList<Neighbor>[] answers)
    {
        var tops = new TopK[queryCount];
        try
        {
            for (int q = 0; q < queryCount; q++) tops[q] = new TopK(k);
            int d = vectors.Width;
            for (int c = 0; c < vectors.ChunkCount; c++)
            {
                int rows = ChunkedSlots<float>.RowsIn(c, count);
                if (rows == 0) break;
                ReadOnlySpan<float> chunk = vectors.Chunk(c, rows);
                int baseSlot = c << ChunkedSlots<float>.ChunkShift;
                for (int tile = 0; tile < rows; tile += TileRows)
                {
                    int tileEnd = Math.Min(rows, tile + TileRows);
                    for (int q = 0; q < queryCount; q++)
                    {
                        ref TopK top = ref tops[q];
                        ReadOnlySpan<float> query = queries.Slice(q * d, d);
                        for (int r = tile; r < tileEnd; r++)
                        {
                            float similarity = TensorPrimitives.Dot(query, chunk.Slice(r * d, d));
                            if (similarity < minSimilarity || similarity < top.Threshold) continue;
                            top.Push(similarity, keys[baseSlot + r]);
                        }
                    }
                }
            }
            for (int q = 0; q < queryCount; q++) answers[q] = tops[q].DrainToNeighbors();
        }
        finally
        {
            for (int q = 0; q < queryCount; q++) tops[q].Dispose();
        }
    }
}
