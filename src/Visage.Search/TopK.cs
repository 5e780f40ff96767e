using System.Buffers;
using System.Runtime.CompilerServices;

namespace Visage.Search;

/// <summary>A bounded min-heap of the k best (score, id) pairs seen so far. The root is the worst kept
/// entry, so a scan rejects most candidates with one comparison against <see cref="Threshold"/>.
/// Ties are broken by smaller id first, which makes results deterministic.</summary>
internal struct TopK : IDisposable
{
    private readonly int _capacity;
    private float[] _scores;
    private long[] _ids;
    private int _count;

    public TopK(int capacity)
    {
        _capacity = Math.Max(capacity, 1);
        _scores = ArrayPool<float>.Shared.Rent(_capacity);
        _ids = ArrayPool<long>.Shared.Rent(_capacity);
        _count = 0;
    }

    public readonly int Count => _count;
    public readonly bool IsFull => _count == _capacity;

    /// <summary>Scores strictly below this can never enter; −∞ until the heap is full.</summary>
    public readonly float Threshold => _count == _capacity ? _scores[0] : float.NegativeInfinity;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly bool Worse(int a, float score, long id) =>
        _scores[a] < score || (_scores[a] == score && _ids[a] > id);

    public void Push(float score, long id)
    {
        if (_count < _capacity)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                // Sift up while the parent is better than the new entry (min-heap on "quality").
                if (!IsBetter(parent, score, id)) break;
                _scores[i] = _scores[parent]; _ids[i] = _ids[parent];
                i = parent;
            }
            _scores[i] = score; _ids[i] = id;
            return;
        }
        if (!Worse(0, score, id)) return;
        SiftDown(0, score, id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly bool IsBetter(int a, float score, long id) =>
        _scores[a] > score || (_scores[a] == score && _ids[a] < id);

    private void SiftDown(int i, float score, long id)
    {
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && IsBetter(child, _scores[child + 1], _ids[child + 1])) child++;
            if (!Worse(child, score, id)) break;
            _scores[i] = _scores[child]; _ids[i] = _ids[child];
            i = child;
        }
        _scores[i] = score; _ids[i] = id;
    }

    /// <summary>Empties the heap into <paramref name="ids"/>/<paramref name="scores"/>, best first.</summary>
    public int Drain(Span<long> ids, Span<float> scores)
    {
        int n = _count;
        for (int i = n - 1; i >= 0; i--)
        {
            ids[i] = _ids[0]; scores[i] = _scores[0];
            float lastScore = _scores[_count - 1]; long lastId = _ids[_count - 1];
            _count--;
            if (_count > 0) SiftDown(0, lastScore, lastId);
        }
        return n;
    }

    public Neighbor[] DrainToNeighbors()
    {
        var result = new Neighbor[_count];
        for (int i = _count - 1; i >= 0; i--)
        {
            result[i] = new Neighbor(_ids[0], _scores[0]);
            float lastScore = _scores[_count - 1]; long lastId = _ids[_count - 1];
            _count--;
            if (_count > 0) SiftDown(0, lastScore, lastId);
        }
        return result;
    }

    public void Dispose()
    {
        if (_scores is null) return;
        ArrayPool<float>.Shared.Return(_scores);
        ArrayPool<long>.Shared.Return(_ids);
        _scores = null!; _ids = null!;
    }
}
