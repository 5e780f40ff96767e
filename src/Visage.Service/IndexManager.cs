using Visage.Search;
using Visage.Storage;

namespace Visage.Service;

/// <summary>One search hit after grouping: the best reference of the best face of one external_id.</summary>
public readonly record struct PersonHit(string FaceId, string ExternalId, long ReferenceKey, float Similarity);

/// <summary>The in-memory index of every collection, rebuilt from the store at start and kept in step with
/// enrolments, auto-enrolments and deletions. A face being deleted is tombstoned before the store delete,
/// so neither a search nor a racing auto-enrol can bring it back.</summary>
public sealed class IndexManager(Func<int, IVectorIndex> createIndex, int dimension) : IDisposable
{
    sealed class CollectionIndex(IVectorIndex index, SearchBatchCounters batching)
    {
        public readonly IVectorIndex Index = index;
        public readonly SearchCoalescer Searches = new(index, batching);
        public readonly Dictionary<long, (string FaceId, string ExternalId)> Owners = new();
        public readonly Dictionary<string, int> ReferencesPerFace = new(StringComparer.Ordinal);
        public readonly HashSet<string> Deleted = new(StringComparer.Ordinal);
        public readonly Lock Gate = new();
    }

    readonly Dictionary<string, CollectionIndex> _collections = new(StringComparer.Ordinal);
    readonly Lock _gate = new();
    volatile bool _loaded;

    public bool Loaded => _loaded;
    /// <summary>Searches served together by one scan (for /metrics).</summary>
    public SearchBatchCounters Batching { get; private init; } = new();
    public int Dimension => dimension;

    public async Task LoadAllAsync(IFaceStore store, CancellationToken ct)
    {
        // Small batches: the index copies each vector, so the float[] the store hands over are garbage once added.
        // With 256 of them in flight (512 KB) they die in gen0; batches of 4096 (8 MB) outlived gen0 collections and were
        // promoted, so a 1M load also paid gen1/gen2 collections over a heap holding a million owners.
        const int BatchSize = 256;
        var rows = new List<StoredVector>(BatchSize);
        var vectors = new List<(long, float[])>(BatchSize);
        foreach (var collection in await store.ListAllCollectionsAsync(ct))
        {
            var ci = Get(collection.Id, create: true)!;
            void Flush()
            {
                lock (ci.Gate)
                {
                    foreach (var v in rows) Track(ci, v.Key, v.FaceId, v.ExternalId);
                    ci.Index.AddRange(vectors);
                }
                rows.Clear();
                vectors.Clear();
            }
            await foreach (var v in store.StreamVectorsAsync(collection.Id, ct))
            {
                if (v.Embedding.Length != dimension) continue; // another model's vectors: re-embed before they can be searched
                rows.Add(v);
                vectors.Add((v.Key, v.Embedding));
                if (rows.Count == BatchSize) Flush();
            }
            Flush();
        }
        _loaded = true;
    }

    IndexManager(Func<int, IVectorIndex> createIndex, int dimension, SearchBatchCounters batching) : this(createIndex, dimension) =>
        Batching = batching;

    /// <summary>Rebuilds every collection's index from the store beside the live ones and then swaps them in, so searches
    /// keep answering meanwhile (memory peaks at twice the indexes). For an instance that missed changes the change log no
    /// longer holds: the caller replays the log from a position taken before the reload, as at start. The old indexes are
    /// left to the GC rather than disposed, so a search still running on one finishes normally.</summary>
    public async Task ReloadAllAsync(IFaceStore store, CancellationToken ct)
    {
        var fresh = new IndexManager(createIndex, dimension, Batching);
        await fresh.LoadAllAsync(store, ct);
        lock (_gate)
        {
            foreach (var (id, ci) in fresh._collections)
                // Tombstones of deletes in flight (not yet committed, so possibly streamed in) carry over.
                if (_collections.TryGetValue(id, out var live))
                    lock (live.Gate) ci.Deleted.UnionWith(live.Deleted);
            _collections.Clear();
            foreach (var (id, ci) in fresh._collections) _collections[id] = ci;
        }
        _loaded = true;
    }

    public void EnsureCollection(string collectionId) => Get(collectionId, create: true);

    public void DropCollection(string collectionId)
    {
        CollectionIndex? ci;
        lock (_gate) { if (_collections.Remove(collectionId, out ci)) { } }
        ci?.Index.Dispose();
    }

    /// <summary>Adds a reference unless its face has been deleted meanwhile.</summary>
    public bool Add(string collectionId, long key, string faceId, string externalId, ReadOnlySpan<float> vector)
    {
        var ci = Get(collectionId, create: true)!;
        lock (ci.Gate)
        {
            if (ci.Deleted.Contains(faceId)) return false;
            Track(ci, key, faceId, externalId);
            ci.Index.Add(key, vector);
            return true;
        }
    }

    /// <summary>From now on the face is never returned, whatever the store still holds.</summary>
    public void MarkFaceDeleted(string collectionId, string faceId)
    {
        if (Get(collectionId, create: false) is { } ci) lock (ci.Gate) ci.Deleted.Add(faceId);
    }

    public bool Contains(string collectionId, long key)
    {
        if (Get(collectionId, create: false) is not { } ci) return false;
        lock (ci.Gate) return ci.Owners.ContainsKey(key);
    }

    public bool IsFaceDeleted(string collectionId, string faceId)
    {
        if (Get(collectionId, create: false) is not { } ci) return true;
        lock (ci.Gate) return ci.Deleted.Contains(faceId);
    }

    public void RemoveReferences(string collectionId, IEnumerable<long> keys)
    {
        if (Get(collectionId, create: false) is not { } ci) return;
        lock (ci.Gate)
            foreach (var key in keys)
            {
                ci.Index.Remove(key);
                if (ci.Owners.Remove(key, out var owner) && ci.ReferencesPerFace.TryGetValue(owner.FaceId, out var n))
                {
                    if (n <= 1) ci.ReferencesPerFace.Remove(owner.FaceId);
                    else ci.ReferencesPerFace[owner.FaceId] = n - 1;
                }
            }
    }

    /// <summary>Up to <paramref name="topK"/> people (distinct external_ids), each through its best reference,
    /// at or above <paramref name="threshold"/>, best first.</summary>
    public IReadOnlyList<PersonHit> Search(string collectionId, ReadOnlySpan<float> query, int topK, float threshold)
    {
        var hits = new List<PersonHit>(topK);
        if (Get(collectionId, create: false) is not { } ci || topK <= 0) return hits;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // A person may own many references; widen the neighbour search until topK people are found or
        // the index has nothing more above the threshold.
        int k = topK * 4;
        while (true)
        {
            var neighbours = ci.Searches.Search(query, k, threshold);
            hits.Clear(); seen.Clear();
            lock (ci.Gate)
                foreach (var n in neighbours)
                {
                    if (!ci.Owners.TryGetValue(n.Key, out var owner) || ci.Deleted.Contains(owner.FaceId)) continue;
                    if (!seen.Add(owner.ExternalId)) continue;
                    hits.Add(new PersonHit(owner.FaceId, owner.ExternalId, n.Key, n.Similarity));
                    if (hits.Count == topK) return hits;
                }
            if (neighbours.Count < k || k >= ci.Index.Count) return hits;
            k = Math.Min(k * 4, ci.Index.Count);
        }
    }

    public IndexStats Stats(string collectionId)
    {
        if (Get(collectionId, create: false) is not { } ci) return default;
        lock (ci.Gate) return new IndexStats(ci.ReferencesPerFace.Count, ci.Index.Count, ci.Index.MemoryBytes);
    }

    public IReadOnlyList<(string CollectionId, IndexStats Stats)> AllStats()
    {
        string[] ids;
        lock (_gate) ids = [.. _collections.Keys];
        var result = new List<(string, IndexStats)>(ids.Length);
        foreach (var id in ids) result.Add((id, Stats(id)));
        return result;
    }

    static void Track(CollectionIndex ci, long key, string faceId, string externalId)
    {
        if (ci.Owners.TryAdd(key, (faceId, externalId)))
            ci.ReferencesPerFace[faceId] = ci.ReferencesPerFace.GetValueOrDefault(faceId) + 1;
    }

    CollectionIndex? Get(string collectionId, bool create)
    {
        lock (_gate)
        {
            if (_collections.TryGetValue(collectionId, out var ci)) return ci;
            if (!create) return null;
            ci = new CollectionIndex(createIndex(dimension), Batching);
            _collections[collectionId] = ci;
            return ci;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var ci in _collections.Values) ci.Index.Dispose();
            _collections.Clear();
        }
    }
}

public readonly record struct IndexStats(int Faces, int Vectors, long MemoryBytes);
