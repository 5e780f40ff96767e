using System.Buffers;
using Visage.Search;

namespace Visage.Service;

/// <summary>Totals of coalesced searches for /metrics, shared by every collection.</summary>
public sealed class SearchBatchCounters
{
    long _batches, _queries;

    /// <summary>Passes of <see cref="IVectorIndex.SearchBatch"/> that served two or more searches.</summary>
    public long Batches => Volatile.Read(ref _batches);
    /// <summary>Searches served by those passes.</summary>
    public long Queries => Volatile.Read(ref _queries);

    internal void Record(int queries)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _queries, queries);
    }
}

/// <summary>Coalesces concurrent searches of one large collection into batched scans. A search scans at once
/// while fewer scans than cores are running (a lone request waits for nothing); otherwise it queues, and the
/// next scan to finish hands its core to the oldest queued search, which serves everything queued with the
/// same k (up to <see cref="MaxBatch"/>) in one <see cref="IVectorIndex.SearchBatch"/>. One pass over the
/// codes then costs little more than one search, so throughput under load rises several-fold while each
/// answer stays exactly what a lone search returns. Below <see cref="MinVectors"/> a scan is too short to
/// be worth queueing for, and searches go straight to the index.</summary>
public sealed class SearchCoalescer(IVectorIndex index, SearchBatchCounters? counters = null, int? scanners = null)
{
    public const int MinVectors = 50_000;
    /// <summary>Cap on one batch: one pass of the quantised index's 16-query scan (~7 ms of a core per query at
    /// 1M x 512, so ~0.1 s for a full batch). More per batch adds latency without adding throughput.</summary>
    public const int MaxBatch = 16;

    readonly int _scanners = Math.Max(1, scanners ?? Environment.ProcessorCount);
    readonly Lock _gate = new();
    readonly List<Pending> _waiting = [];
    int _scanning;

    /// <summary>The same contract as <see cref="IVectorIndex.Search"/>.</summary>
    public IReadOnlyList<Neighbor> Search(ReadOnlySpan<float> query, int k, float minSimilarity)
    {
        if (index.Count < MinVectors) return index.Search(query, k, minSimilarity);
        Pending? mine = null;
        lock (_gate)
        {
            if (_scanning < _scanners) _scanning++;
            else _waiting.Add(mine = new Pending(query.ToArray(), k, minSimilarity));
        }
        if (mine is null)
        {
            try { return index.Search(query, k, minSimilarity); }
            finally { HandOver(); }
        }
        if (mine.WaitForTurnOrAnswer() is { } batch)
        {
            try { Serve(batch); }
            finally { HandOver(); }
        }
        return mine.Answer();
    }

    /// <summary>Called by a thread whose scan finished: passes its core to the oldest waiter with a batch to serve.</summary>
    void HandOver()
    {
        List<Pending> batch;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _scanning--;
                return;
            }
            int k = _waiting[0].K;
            batch = new List<Pending>(Math.Min(_waiting.Count, MaxBatch));
            for (int i = 0; i < _waiting.Count && batch.Count < MaxBatch; i++)
                if (_waiting[i].K == k)
                {
                    _waiting[i].InBatch = true;
                    batch.Add(_waiting[i]);
                }
            // Order is kept: the oldest search of another k leads the next batch.
            _waiting.RemoveAll(p => p.InBatch);
        }
        batch[0].Lead(batch);
    }

    /// <summary>One pass for the whole batch at the lowest similarity floor among its searches, then each answer
    /// cut at its own floor: answers are best first, so that cut equals the search run alone.</summary>
    void Serve(List<Pending> batch)
    {
        int dimension = index.Dimension, n = batch.Count;
        if (n == 1)
        {
            Complete(batch[0], null);
            return;
        }
        float floor = float.PositiveInfinity;
        float[] queries = ArrayPool<float>.Shared.Rent(n * dimension);
        IReadOnlyList<Neighbor>[]? answers = null;
        try
        {
            for (int i = 0; i < n; i++)
            {
                batch[i].Query.CopyTo(queries.AsSpan(i * dimension));
                floor = Math.Min(floor, batch[i].MinSimilarity); // a NaN stays NaN and fails the batch
            }
            answers = index.SearchBatch(queries.AsSpan(0, n * dimension), batch[0].K, floor);
            counters?.Record(n);
        }
        catch (Exception) when (answers is null)
        {
            // One bad search must not fail its neighbours: each runs alone and gets its own answer or error.
        }
        finally { ArrayPool<float>.Shared.Return(queries); }
        for (int i = 0; i < n; i++) Complete(batch[i], answers?[i]);
    }

    /// <summary>Cuts a batch answer at the search's own floor, or runs the search alone when there is none.</summary>
    void Complete(Pending search, IReadOnlyList<Neighbor>? fromBatch)
    {
        try { search.Finish(fromBatch is null ? index.Search(search.Query, search.K, search.MinSimilarity) : AtFloor(fromBatch, search.MinSimilarity), null); }
        catch (Exception e) { search.Finish(null, e); }
    }

    static IReadOnlyList<Neighbor> AtFloor(IReadOnlyList<Neighbor> bestFirst, float minSimilarity)
    {
        int kept = 0;
        while (kept < bestFirst.Count && bestFirst[kept].Similarity >= minSimilarity) kept++;
        if (kept == bestFirst.Count) return bestFirst;
        var cut = new Neighbor[kept];
        for (int i = 0; i < kept; i++) cut[i] = bestFirst[i];
        return cut;
    }

    /// <summary>A queued search: woken either with its answer or with a batch to serve on the core handed to it.</summary>
    sealed class Pending(float[] query, int k, float minSimilarity)
    {
        public readonly float[] Query = query;
        public readonly int K = k;
        public readonly float MinSimilarity = minSimilarity;
        public bool InBatch;
        List<Pending>? _lead;
        IReadOnlyList<Neighbor>? _answer;
        Exception? _error;
        bool _woken;

        public void Lead(List<Pending> batch) => Wake(() => _lead = batch);

        public void Finish(IReadOnlyList<Neighbor>? answer, Exception? error) => Wake(() => { _answer = answer; _error = error; });

        void Wake(Action set)
        {
            lock (this)
            {
                set();
                _woken = true;
                Monitor.PulseAll(this);
            }
        }

        public List<Pending>? WaitForTurnOrAnswer()
        {
            lock (this)
            {
                while (!_woken) Monitor.Wait(this);
                var lead = _lead;
                _lead = null;
                return lead;
            }
        }

        public IReadOnlyList<Neighbor> Answer()
        {
            if (_error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
            return _answer!;
        }
    }
}
