using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Visage.Search;

public sealed class QuantizedIndexOptions
{
    /// <summary>Vectors held as float32 and searched exactly until this many have arrived; the quantiser is
    /// then learnt from them. 20,000 vectors pin each dimension's mean, spread and range well.</summary>
    public int TrainingCount { get; init; } = 20_000;
    /// <summary>Candidates kept from the 2-bit scan and re-ranked with the fine codes (at least 2·k are kept).</summary>
    public int RerankCandidates { get; init; } = 1_000;
}

/// <summary>Memory-lean search for large collections: a 2-bit code per dimension is scanned for every query
/// (128 bytes per 512-d vector, so the scan reads 16x less memory than float32), the best candidates are
/// re-ranked with 12-bit codes (768 bytes per vector), and the k best of those are returned with their
/// re-ranked similarity (within ~1e-4 of float32). Vectors with a component outside the trained range keep
/// a float32 copy and are re-ranked exactly. 896 bytes per 512-d vector in all: 0.9 GB for 1,000,000.
/// Thread-safety as <see cref="SlotIndex"/>.</summary>
public sealed class QuantizedIndex : SlotIndex
{
    private readonly QuantizedIndexOptions _options;
    private ChunkedSlots<float>? _untrained;
    private ScalarQuantizer? _quantizer;
    private ChunkedSlots<byte>? _scan, _fine, _nibbles;
    private readonly Dictionary<long, float[]> _outliers = new();

    public QuantizedIndex(int dimension, QuantizedIndexOptions? options = null) : base(dimension)
    {
        _options = options ?? new QuantizedIndexOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.TrainingCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.RerankCandidates, 1);
        _untrained = new ChunkedSlots<float>(dimension);
    }

    /// <summary>True once the quantiser is learnt; before that the index is exact.</summary>
    public bool IsTrained => _quantizer is not null;
    /// <summary>Vectors kept in float32 because they fell outside the trained range.</summary>
    public int OutlierCount => _outliers.Count;

    protected override long VectorBytes =>
        (_untrained?.Bytes ?? 0) + (_scan?.Bytes ?? 0) + (_fine?.Bytes ?? 0) + (_nibbles?.Bytes ?? 0)
        + _outliers.Count * (long)(Dimension * sizeof(float) + 64);

    protected override void EnsureSlots(int capacity)
    {
        if (_quantizer is null)
        {
            // Training happens at TrainingCount, so floats are never needed past it.
            _untrained!.EnsureCapacity(Math.Min(capacity, _options.TrainingCount));
            return;
        }
        _scan!.EnsureCapacity(capacity);
        _fine!.EnsureCapacity(capacity);
        _nibbles!.EnsureCapacity(capacity);
    }

    protected override void Store(int slot, long key, ReadOnlySpan<float> unit)
    {
        if (_quantizer is null)
        {
            unit.CopyTo(_untrained!.Row(slot));
            return;
        }
        if (_quantizer.Encode(unit, _scan!.Row(slot), _fine!.Row(slot), _nibbles!.Row(slot))) _outliers.Remove(key);
        else _outliers[key] = unit.ToArray();
    }

    protected override void Appended(int count)
    {
        if (_quantizer is null && count >= _options.TrainingCount) Train(count);
    }

    private void Train(int count)
    {
        var floats = _untrained!;
        _quantizer = ScalarQuantizer.Train(floats, count);
        _scan = new ChunkedSlots<byte>(_quantizer.ScanRowBytes);
        _fine = new ChunkedSlots<byte>(Dimension);
        _nibbles = new ChunkedSlots<byte>(_quantizer.NibbleRowBytes);
        EnsureSlots(count);
        ReadOnlySpan<long> keys = Keys;
        for (int slot = 0; slot < count; slot++) Store(slot, keys[slot], floats.Row(slot));
        _untrained = null;
    }

    protected override void MoveSlot(int from, int to, long movedKey, long removedKey)
    {
        _outliers.Remove(removedKey);
        if (from == to) return;
        if (_quantizer is null)
        {
            _untrained!.Move(from, to);
            return;
        }
        _scan!.Move(from, to);
        _fine!.Move(from, to);
        _nibbles!.Move(from, to);
    }

    protected override void Shrunk(int count)
    {
        _untrained?.TrimTo(count);
        _scan?.TrimTo(count);
        _fine?.TrimTo(count);
        _nibbles?.TrimTo(count);
    }

    protected override void ReleaseStorage()
    {
        _untrained?.Clear();
        _scan?.Clear();
        _fine?.Clear();
        _nibbles?.Clear();
        _outliers.Clear();
    }

    protected override Neighbor[] SearchUnit(ReadOnlySpan<float> unitQuery, int k, float minSimilarity)
    {
        var answers = new IReadOnlyList<Neighbor>[1];
        SearchUnitBatch(unitQuery, 1, k, minSimilarity, answers);
        return (Neighbor[])answers[0];
    }

    /// <summary>Queries per pass over the 2-bit codes: their int8 weights (512 B each at 512-d) stay in L1 next
    /// to the codes being scored. A larger batch makes several passes.</summary>
    private const int QueriesPerPass = 16;

    protected override void SearchUnitBatch(ReadOnlySpan<float> units, int queryCount, int k, float minSimilarity, IReadOnlyList<Neighbor>[] answers)
    {
        if (_quantizer is null)
        {
            ExactIndex.SearchFloats(_untrained!, LiveCount, Keys, units, queryCount, k, minSimilarity, answers);
            return;
        }
        int wanted = Math.Min(LiveCount, Math.Max(_options.RerankCandidates, 2 * k));
        var candidates = new ArraySegment<long>[Math.Min(queryCount, QueriesPerPass)];
        for (int first = 0; first < queryCount; first += QueriesPerPass)
        {
            int n = Math.Min(QueriesPerPass, queryCount - first);
            CoarseCandidates(units.Slice(first * Dimension, n * Dimension), n, wanted, candidates);
            for (int i = 0; i < n; i++)
            {
                var top = new TopK(k);
                try
                {
                    Rerank(units.Slice((first + i) * Dimension, Dimension), candidates[i], ref top, minSimilarity);
                    answers[first + i] = top.DrainToNeighbors();
                }
                finally { top.Dispose(); }
            }
        }
    }

    /// <summary>Rows per tile of the 2-bit scan: the scores of a tile for a whole pass (≤ 256 x 16 ints) stay in
    /// L1 while each query's best are picked from them.</summary>
    private const int TileRows = 256;

    /// <summary>For each of <paramref name="queryCount"/> unit queries, the slots of its <paramref name="wanted"/>
    /// best 2-bit scores, in pooled arrays the caller returns (Rerank does). One query uses the one-query kernel;
    /// several share one read of the codes. Scores are exact integers and the candidate order is total (ties →
    /// smaller slot), so a query's candidates do not depend on its batch.</summary>
    private void CoarseCandidates(ReadOnlySpan<float> units, int queryCount, int wanted, ArraySegment<long>[] result)
    {
        var q = _quantizer!;
        // The batched kernel takes queries four at a time; padding queries have zero weights and are ignored.
        int stride = queryCount == 1 ? 1 : (queryCount + TwoBitScan.QueriesPerStep - 1) / TwoBitScan.QueriesPerStep * TwoBitScan.QueriesPerStep;
        int weightCount = q.ScanWeightCount;
        sbyte[] weights = ArrayPool<sbyte>.Shared.Rent(stride * weightCount);
        int[] scores = ArrayPool<int>.Shared.Rent(TileRows * stride);
        var candidates = new TopK[queryCount];
        int[] limits = ArrayPool<int>.Shared.Rent(stride + Vector256<int>.Count);
        try
        {
            var w = weights.AsSpan(0, stride * weightCount);
            w.Clear();
            for (int i = 0; i < queryCount; i++)
            {
                q.PrepareScan(units.Slice(i * Dimension, Dimension), w.Slice(i * weightCount, weightCount));
                candidates[i] = new TopK(wanted);
            }
            // Padding queries never pass; real ones take everything until their heap is full.
            for (int e = 0; e < stride + Vector256<int>.Count; e++) limits[e] = e % stride < queryCount ? int.MinValue : int.MaxValue;
            int count = LiveCount;
            int rowBytes = q.ScanRowBytes;
            for (int c = 0; c < _scan!.ChunkCount; c++)
            {
                int rows = ChunkedSlots<byte>.RowsIn(c, count);
                if (rows == 0) break;
                ReadOnlySpan<byte> chunk = _scan.Chunk(c, rows);
                int baseSlot = c << ChunkedSlots<byte>.ChunkShift;
                for (int tile = 0; tile < rows; tile += TileRows)
                {
                    int tileRows = Math.Min(TileRows, rows - tile);
                    var codes = chunk.Slice(tile * rowBytes, tileRows * rowBytes);
                    if (stride == 1) TwoBitScan.Scores(codes, rowBytes, w, scores);
                    else TwoBitScan.ScoresBatch(codes, rowBytes, w, stride, scores);
                    Collect(scores, tileRows * stride, stride, baseSlot + tile, candidates, limits);
                }
            }
            for (int i = 0; i < queryCount; i++)
            {
                long[] slots = ArrayPool<long>.Shared.Rent(candidates[i].Count);
                float[] ignored = ArrayPool<float>.Shared.Rent(candidates[i].Count);
                int n = candidates[i].Drain(slots, ignored);
                ArrayPool<float>.Shared.Return(ignored);
                result[i] = new ArraySegment<long>(slots, 0, n);
            }
        }
        finally
        {
            for (int i = 0; i < queryCount; i++) candidates[i].Dispose();
            ArrayPool<int>.Shared.Return(scores);
            ArrayPool<int>.Shared.Return(limits);
            ArrayPool<sbyte>.Shared.Return(weights);
        }
    }

    /// <summary>Offers a tile's scores (row-major, <paramref name="stride"/> per row) to each query's candidate heap.
    /// Almost every score is below its query's current limit, so eight are rejected per SIMD compare;
    /// <paramref name="limits"/>[e] is the limit of query e % stride, repeated so any eight consecutive scores
    /// meet theirs in one load.</summary>
    private static void Collect(int[] scores, int total, int stride, int firstSlot, TopK[] candidates, int[] limits)
    {
        int e = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref int score0 = ref MemoryMarshal.GetArrayDataReference(scores);
            ref int limit0 = ref MemoryMarshal.GetArrayDataReference(limits);
            for (; e + Vector256<int>.Count <= total; e += Vector256<int>.Count)
            {
                if (Vector256.LessThanAll(Vector256.LoadUnsafe(ref score0, (nuint)e), Vector256.LoadUnsafe(ref limit0, (nuint)(e % stride)))) continue;
                for (int lane = e; lane < e + Vector256<int>.Count; lane++) Offer(scores, lane, stride, firstSlot, candidates, limits);
            }
        }
        for (; e < total; e++) Offer(scores, e, stride, firstSlot, candidates, limits);
    }

    private static void Offer(int[] scores, int e, int stride, int firstSlot, TopK[] candidates, int[] limits)
    {
        int query = e % stride;
        if (scores[e] < limits[query]) return;
        ref TopK top = ref candidates[query];
        top.Push(scores[e], firstSlot + e / stride);
        // A heap's threshold is one of the integer scores it holds, so the int limit rejects exactly what it would.
        int limit = top.IsFull ? (int)top.Threshold : int.MinValue;
        for (int at = query; at < limits.Length && at < stride + Vector256<int>.Count; at += stride) limits[at] = limit;
    }

    private const int PrefetchAhead = 4;

    private void Rerank(ReadOnlySpan<float> unitQuery, ArraySegment<long> slots, ref TopK top, float minSimilarity)
    {
        var q = _quantizer!;
        float[] weights = ArrayPool<float>.Shared.Rent(Dimension);
        float[] scratch = ArrayPool<float>.Shared.Rent(Dimension);
        try
        {
            var w = weights.AsSpan(0, Dimension);
            float offset = q.PrepareFine(unitQuery, w);
            ReadOnlySpan<long> keys = Keys;
            bool anyOutliers = _outliers.Count > 0;
            for (int i = 0; i < slots.Count; i++)
            {
                // Candidates are scattered over the whole index: ask for a later one's codes while this one is scored.
                if (i + PrefetchAhead < slots.Count)
                {
                    int ahead = (int)slots[i + PrefetchAhead];
                    _fine!.Prefetch(ahead);
                    _nibbles!.Prefetch(ahead);
                }
                int slot = (int)slots[i];
                long key = keys[slot];
                float similarity = anyOutliers && _outliers.TryGetValue(key, out var exact)
                    ? TensorPrimitives.Dot(unitQuery, exact)
                    : q.FineSimilarity(w, offset, _fine!.Row(slot), _nibbles!.Row(slot), scratch);
                if (similarity < minSimilarity || similarity < top.Threshold) continue;
                top.Push(similarity, key);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(weights);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<long>.Shared.Return(slots.Array!);
        }
    }
}
