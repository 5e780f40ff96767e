namespace Visage.Search;

/// <summary>One neighbour: the caller's key (a reference's store key) and its cosine similarity.</summary>
public readonly record struct Neighbor(long Key, float Similarity);

/// <summary>An in-memory index of L2-normalised vectors of one collection. Thread-safe: searches run
/// concurrently with adds and removes; a removed key is never returned by a search that starts after
/// Remove returned.</summary>
public interface IVectorIndex : IDisposable
{
    int Dimension { get; }
    int Count { get; }
    /// <summary>Adds or replaces the vector of a key.</summary>
    void Add(long key, ReadOnlySpan<float> vector);
    /// <summary>Adds many at once (start-up load); faster than one by one.</summary>
    void AddRange(IEnumerable<(long Key, float[] Vector)> items);
    bool Remove(long key);
    bool Contains(long key);
    /// <summary>The k most similar keys with similarity ≥ minSimilarity, best first.</summary>
    IReadOnlyList<Neighbor> Search(ReadOnlySpan<float> query, int k, float minSimilarity = float.NegativeInfinity);
    /// <summary>Many queries at once (row-major, queries.Length / Dimension rows): answer i is what Search would
    /// return for row i. One pass over the stored vectors serves the whole batch, so throughput beats
    /// query-by-query when requests pile up.</summary>
    IReadOnlyList<Neighbor>[] SearchBatch(ReadOnlySpan<float> queries, int k, float minSimilarity = float.NegativeInfinity);
    /// <summary>Bytes held for vectors (for /metrics and capacity planning).</summary>
    long MemoryBytes { get; }
}
