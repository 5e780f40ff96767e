using System.Buffers;

namespace Visage.Search;

/// <summary>What every index shares: keys live in dense slots 0..Count-1 (no per-vector objects), a
/// key→slot map, removal by moving the last slot into the hole, and a reader/writer lock. Searches take
/// the read lock, so they run concurrently with each other; Add/Remove take the write lock, so a search
/// that starts after Remove returned cannot see the removed key. Subclasses store the vector data.</summary>
public abstract class SlotIndex : IVectorIndex
{
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<long, int> _slotOfKey = new();
    private long[] _keys = [];
    private int _count;
    private bool _disposed;

    protected SlotIndex(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
    }

    public int Dimension { get; }
    public int Count => Volatile.Read(ref _count);
    protected int LiveCount => _count;
    protected ReadOnlySpan<long> Keys => _keys.AsSpan(0, _count);

    public long MemoryBytes
    {
        get
        {
            _gate.EnterReadLock();
            try { return VectorBytes + (long)_keys.Length * sizeof(long); }
            finally { _gate.ExitReadLock(); }
        }
    }

    /// <summary>Bytes of the vector storage proper, called under the read lock.</summary>
    protected abstract long VectorBytes { get; }
    /// <summary>Makes slots [0, capacity) writable; cheap when they already are.</summary>
    protected abstract void EnsureSlots(int capacity);
    /// <summary>Writes a unit vector into a slot (new or replaced).</summary>
    protected abstract void Store(int slot, long key, ReadOnlySpan<float> unit);
    /// <summary>Copies slot <paramref name="from"/> over slot <paramref name="to"/>; <paramref name="from"/> is then dropped.</summary>
    protected abstract void MoveSlot(int from, int to, long movedKey, long removedKey);
    /// <summary>Called after a slot was dropped, to release storage if the index shrank a lot.</summary>
    protected virtual void Shrunk(int count) { }
    protected abstract Neighbor[] SearchUnit(ReadOnlySpan<float> unitQuery, int k, float minSimilarity);
    /// <summary>Called after a new key was appended and Count updated.</summary>
    protected virtual void Appended(int count) { }

    public void Add(long key, ReadOnlySpan<float> vector)
    {
        float[] rented = ArrayPool<float>.Shared.Rent(Dimension);
        try
        {
            var unit = rented.AsSpan(0, Dimension);
            VectorChecks.NormalizeInto(vector, unit, Dimension);
            _gate.EnterWriteLock();
            try
            {
                ThrowIfDisposed();
                AddLocked(key, unit);
            }
            finally { _gate.ExitWriteLock(); }
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }

    public void AddRange(IEnumerable<(long Key, float[] Vector)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        float[] rented = ArrayPool<float>.Shared.Rent(Dimension);
        var unit = rented.AsSpan(0, Dimension);
        _gate.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            int expected = items.TryGetNonEnumeratedCount(out int n) ? n : 0;
            EnsureCapacity(_count + expected);
            foreach (var (key, vector) in items)
            {
                VectorChecks.NormalizeInto(vector, unit, Dimension);
                AddLocked(key, unit);
            }
        }
        finally
        {
            _gate.ExitWriteLock();
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private void EnsureCapacity(int capacity)
    {
        if (capacity > _keys.Length) Array.Resize(ref _keys, Math.Max(capacity, Math.Max(16, _keys.Length * 2)));
        // Storage may have been trimmed after removals while the key array kept its size, so always ask.
        EnsureSlots(capacity);
    }

    private void AddLocked(long key, ReadOnlySpan<float> unit)
    {
        if (_slotOfKey.TryGetValue(key, out int slot))
        {
            Store(slot, key, unit);
            return;
        }
        slot = _count;
        EnsureCapacity(slot + 1);
        Store(slot, key, unit);
        _keys[slot] = key;
        _slotOfKey.Add(key, slot);
        Volatile.Write(ref _count, slot + 1);
        Appended(slot + 1);
    }

    public bool Remove(long key)
    {
        _gate.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (!_slotOfKey.Remove(key, out int slot)) return false;
            int last = _count - 1;
            if (slot != last)
            {
                long movedKey = _keys[last];
                MoveSlot(last, slot, movedKey, key);
                _keys[slot] = movedKey;
                _slotOfKey[movedKey] = slot;
            }
            else
            {
                MoveSlot(last, last, key, key);
            }
            Volatile.Write(ref _count, last);
            Shrunk(last);
            return true;
        }
        finally { _gate.ExitWriteLock(); }
    }

    public bool Contains(long key)
    {
        _gate.EnterReadLock();
        try { return _slotOfKey.ContainsKey(key); }
        finally { _gate.ExitReadLock(); }
    }

    public IReadOnlyList<Neighbor> Search(ReadOnlySpan<float> query, int k, float minSimilarity = float.NegativeInfinity)
    {
        if (query.Length != Dimension)
            throw new InvalidVectorException($"Vector has {query.Length} values; this index holds {Dimension}.");
        return SearchRows(query, 1, k, minSimilarity)[0];
    }

    public IReadOnlyList<Neighbor>[] SearchBatch(ReadOnlySpan<float> queries, int k, float minSimilarity = float.NegativeInfinity)
    {
        if (queries.Length % Dimension != 0) throw new ArgumentException($"queries must hold whole rows of {Dimension}.", nameof(queries));
        return SearchRows(queries, queries.Length / Dimension, k, minSimilarity);
    }

    /// <summary>Normalises every row first (a bad row fails the call before any scan), then serves all rows
    /// under one read lock, so the batch sees one state of the index.</summary>
    private IReadOnlyList<Neighbor>[] SearchRows(ReadOnlySpan<float> queries, int queryCount, int k, float minSimilarity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (float.IsNaN(minSimilarity)) throw new ArgumentException("minSimilarity must not be NaN.", nameof(minSimilarity));
        var answers = new IReadOnlyList<Neighbor>[queryCount];
        if (queryCount == 0) return answers;
        int length = queryCount * Dimension;
        float[] rented = ArrayPool<float>.Shared.Rent(length);
        try
        {
            var units = rented.AsSpan(0, length);
            for (int i = 0; i < queryCount; i++)
                VectorChecks.NormalizeInto(queries.Slice(i * Dimension, Dimension), units.Slice(i * Dimension, Dimension), Dimension);
            _gate.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                if (k == 0 || _count == 0)
                {
                    answers.AsSpan().Fill(Array.Empty<Neighbor>());
                    return answers;
                }
                int kept = Math.Min(k, _count);
                if (queryCount == 1) answers[0] = SearchUnit(units, kept, minSimilarity);
                else SearchUnitBatch(units, queryCount, kept, minSimilarity, answers);
                return answers;
            }
            finally { _gate.ExitReadLock(); }
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }

    /// <summary>Answers several unit queries (row-major) under the read lock; <paramref name="k"/> ≤ Count.
    /// Override with a scan that reads the stored vectors once for the whole batch.</summary>
    protected virtual void SearchUnitBatch(ReadOnlySpan<float> units, int queryCount, int k, float minSimilarity, IReadOnlyList<Neighbor>[] answers)
    {
        for (int i = 0; i < queryCount; i++) answers[i] = SearchUnit(units.Slice(i * Dimension, Dimension), k, minSimilarity);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        _gate.EnterWriteLock();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _slotOfKey.Clear();
            _keys = [];
            _count = 0;
            ReleaseStorage();
        }
        finally { _gate.ExitWriteLock(); }
        GC.SuppressFinalize(this);
    }

    protected abstract void ReleaseStorage();
}
