using System.Buffers;
using System.Numerics.Tensors;

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
        var top = new TopK(k);
        try
        {
            if (_quantizer is null) ExactIndex.ScanFloats(_untrained!, LiveCount, Keys, unitQuery, ref top, minSimilarity);
            else Rerank(unitQuery, CoarseCandidates(unitQuery, Math.Min(LiveCount, Math.Max(_options.RerankCandidates, 2 * k))), ref top, minSimilarity);
            return top.DrainToNeighbors();
        }
        finally { top.Dispose(); }
    }

    /// <summary>The slots of the <paramref name="wanted"/> best 2-bit scores, in a pooled array the caller returns.</summary>
    private ArraySegment<long> CoarseCandidates(ReadOnlySpan<float> unitQuery, int wanted)
    {
        var q = _quantizer!;
        sbyte[] weights = ArrayPool<sbyte>.Shared.Rent(q.ScanWeightCount);
        int[] scores = ArrayPool<int>.Shared.Rent(ChunkedSlots<byte>.RowsPerChunk);
        var candidates = new TopK(wanted);
        try
        {
            var w = weights.AsSpan(0, q.ScanWeightCount);
            q.PrepareScan(unitQuery, w);
            int count = LiveCount;
            float threshold = float.NegativeInfinity;
            for (int c = 0; c < _scan!.ChunkCount; c++)
            {
                int rows = ChunkedSlots<byte>.RowsIn(c, count);
                if (rows == 0) break;
                TwoBitScan.Scores(_scan.Chunk(c, rows), q.ScanRowBytes, w, scores);
                int baseSlot = c << ChunkedSlots<byte>.ChunkShift;
                for (int r = 0; r < rows; r++)
                {
                    if (scores[r] < threshold) continue;
                    candidates.Push(scores[r], baseSlot + r);
                    threshold = candidates.Threshold;
                }
            }
            long[] slots = ArrayPool<long>.Shared.Rent(candidates.Count);
            float[] ignored = ArrayPool<float>.Shared.Rent(candidates.Count);
            int n = candidates.Drain(slots, ignored);
            ArrayPool<float>.Shared.Return(ignored);
            return new ArraySegment<long>(slots, 0, n);
        }
        finally
        {
            candidates.Dispose();
            ArrayPool<int>.Shared.Return(scores);
            ArrayPool<sbyte>.Shared.Return(weights);
        }
    }

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
            foreach (long candidate in slots)
            {
                int slot = (int)candidate;
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
