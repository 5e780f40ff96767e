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
        var top = new TopK(k);
        try
        {
            ScanFloats(_vectors, LiveCount, Keys, unitQuery, ref top, minSimilarity);
            return top.DrainToNeighbors();
        }
        finally { top.Dispose(); }
    }

    internal static void ScanFloats(ChunkedSlots<float> vectors, int count, ReadOnlySpan<long> keys,
        ReadOnlySpan<float> query, ref TopK top, float minSimilarity)
    {
        int d = vectors.Width;
        for (int c = 0; c < vectors.ChunkCount; c++)
        {
            int rows = ChunkedSlots<float>.RowsIn(c, count);
            if (rows == 0) break;
            ReadOnlySpan<float> chunk = vectors.Chunk(c, rows);
            int baseSlot = c << ChunkedSlots<float>.ChunkShift;
            for (int r = 0; r < rows; r++)
            {
                float similarity = TensorPrimitives.Dot(query, chunk.Slice(r * d, d));
                if (similarity < minSimilarity || similarity < top.Threshold) continue;
                top.Push(similarity, keys[baseSlot + r]);
            }
        }
    }
}
