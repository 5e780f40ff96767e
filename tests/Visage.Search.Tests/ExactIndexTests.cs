using Visage.Search.Synthetic;
using Xunit;

namespace Visage.Search.Tests;

public sealed class ExactIndexTests
{
    private const int Dim = 64;

    private static Dictionary<long, float[]> RandomVectors(int count, int seed, int dimension = Dim)
    {
        var data = SyntheticVectors.Uniform(count, dimension, seed);
        var stored = new Dictionary<long, float[]>();
        // Non-contiguous keys so the test would catch confusing slots with keys.
        for (int i = 0; i < count; i++) stored[i * 7L + 1_000_000_000_000L] = data.AsSpan(i * dimension, dimension).ToArray();
        return stored;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 5)]
    [InlineData(50, 100)]      // k larger than the collection
    [InlineData(20_000, 10)]   // several storage chunks
    public void Search_agrees_with_brute_force_on_random_vectors(int count, int k)
    {
        var stored = RandomVectors(count, seed: count);
        using var index = new ExactIndex(Dim);
        index.AddRange(stored.Select(p => (p.Key, p.Value)));
        Assert.Equal(count, index.Count);
        var queries = SyntheticVectors.Uniform(20, Dim, seed: 99);
        for (int q = 0; q < 20; q++)
        {
            var query = queries.AsSpan(q * Dim, Dim);
            BruteForce.AssertAgrees(BruteForce.Search(stored, query, k), index.Search(query, k), stored, query);
        }
    }

    [Fact]
    public void Search_with_min_similarity_returns_only_neighbours_at_or_above_it()
    {
        var stored = RandomVectors(3000, seed: 5);
        using var index = new ExactIndex(Dim);
        index.AddRange(stored.Select(p => (p.Key, p.Value)));
        var query = stored.Values.First();
        var found = index.Search(query, 1000, minSimilarity: 0.25f);
        Assert.All(found, n => Assert.True(n.Similarity >= 0.25f));
        Assert.InRange(found.Count, 2, 999); // the query itself plus a few, never everything
        BruteForce.AssertAgrees(BruteForce.Search(stored, query, 1000, 0.25f), found, stored, query);
        Assert.Empty(index.Search(query, 10, minSimilarity: 1.01f));
    }

    [Fact]
    public void Duplicate_vectors_under_different_keys_are_all_returned_ordered_by_key()
    {
        using var index = new ExactIndex(Dim);
        var v = RandomVectors(1, seed: 3).Values.Single();
        foreach (long key in new long[] { 42, 7, 19 }) index.Add(key, v);
        index.Add(100, RandomVectors(1, seed: 4).Values.Single());
        var found = index.Search(v, 3);
        Assert.Equal([7L, 19L, 42L], found.Select(n => n.Key));
        Assert.All(found, n => Assert.InRange(n.Similarity, 0.99999f, 1.00001f));
    }

    [Fact]
    public void Add_with_an_existing_key_replaces_its_vector()
    {
        var vectors = RandomVectors(2, seed: 8).Values.ToArray();
        using var index = new ExactIndex(Dim);
        index.Add(1, vectors[0]);
        index.Add(2, RandomVectors(1, seed: 9).Values.Single());
        index.Add(1, vectors[1]);
        Assert.Equal(2, index.Count);
        var best = index.Search(vectors[1], 1).Single();
        Assert.Equal(1, best.Key);
        Assert.InRange(best.Similarity, 0.99999f, 1.00001f);
        Assert.True(index.Search(vectors[0], 2).All(n => n.Similarity < 0.9f));
    }

    [Fact]
    public void Removed_keys_are_never_returned_and_the_rest_still_agree_with_brute_force()
    {
        var stored = RandomVectors(10_000, seed: 11);
        using var index = new ExactIndex(Dim);
        index.AddRange(stored.Select(p => (p.Key, p.Value)));
        var removed = stored.Keys.Where((_, i) => i % 3 == 0).ToList();
        foreach (long key in removed)
        {
            Assert.True(index.Remove(key));
            Assert.False(index.Contains(key));
        }
        Assert.False(index.Remove(removed[0]));
        foreach (long key in removed) stored.Remove(key);
        Assert.Equal(stored.Count, index.Count);

        var queries = SyntheticVectors.Uniform(10, Dim, seed: 12);
        for (int q = 0; q < 10; q++)
        {
            var query = queries.AsSpan(q * Dim, Dim);
            var found = index.Search(query, 50);
            Assert.DoesNotContain(found, n => removed.Contains(n.Key));
            BruteForce.AssertAgrees(BruteForce.Search(stored, query, 50), found, stored, query);
        }
        // A removed vector searched for itself finds something else, not its ghost.
        Assert.True(index.Search(RandomVectors(10_000, seed: 11)[removed[5]], 1).Single().Similarity < 0.99f);
    }

    [Fact]
    public void Removing_everything_leaves_an_empty_index_that_accepts_new_vectors()
    {
        var stored = RandomVectors(100, seed: 13);
        using var index = new ExactIndex(Dim);
        index.AddRange(stored.Select(p => (p.Key, p.Value)));
        foreach (long key in stored.Keys) index.Remove(key);
        Assert.Equal(0, index.Count);
        Assert.Empty(index.Search(stored.Values.First(), 5));
        index.Add(5, stored.Values.First());
        Assert.Equal(5, index.Search(stored.Values.First(), 5).Single().Key);
    }

    [Fact]
    public void Vectors_of_the_wrong_length_or_zero_length_are_rejected_with_a_typed_error()
    {
        using var index = new ExactIndex(Dim);
        Assert.Throws<InvalidVectorException>(() => index.Add(1, new float[Dim + 1]));
        Assert.Throws<InvalidVectorException>(() => index.Add(1, new float[Dim]));
        var nan = new float[Dim]; nan[3] = float.NaN;
        Assert.Throws<InvalidVectorException>(() => index.Add(1, nan));
        Assert.Throws<InvalidVectorException>(() => index.Search(new float[3], 1));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void Unnormalised_vectors_are_compared_by_cosine()
    {
        using var index = new ExactIndex(Dim);
        var v = RandomVectors(1, seed: 21).Values.Single();
        index.Add(1, v.Select(x => x * 37f).ToArray());
        Assert.InRange(index.Search(v.Select(x => x * 0.01f).ToArray(), 1).Single().Similarity, 0.99999f, 1.00001f);
    }

    [Fact]
    public void Memory_grows_with_count_and_is_released_after_mass_removal()
    {
        using var index = new ExactIndex(512);
        long empty = index.MemoryBytes;
        var data = SyntheticVectors.Uniform(30_000, 512, seed: 1);
        index.AddRange(Enumerable.Range(0, 30_000).Select(i => ((long)i, data.AsSpan(i * 512, 512).ToArray())));
        long full = index.MemoryBytes;
        // 2048 bytes of floats per vector plus keys; chunking may round up by at most one chunk.
        Assert.InRange(full - empty, 30_000L * 2048, 30_000L * 2048 + ChunkBytes(512) + 30_000L * 8 * 2);
        for (int i = 0; i < 29_000; i++) index.Remove(i);
        // What remains: the chunk still in use, one spare kept against add/remove thrash, and the key array.
        Assert.InRange(index.MemoryBytes, 1000L * 2048, 2 * ChunkBytes(512) + 60_000L * 8);
        Assert.True(index.MemoryBytes < full * 0.6);
    }

    private static long ChunkBytes(int dimension) => 8192L * dimension * sizeof(float);
}
