using Visage.Search.Synthetic;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Search.Tests;

public sealed class QuantizedIndexTests(ITestOutputHelper output)
{
    private const int Dim = 512;

    private static IEnumerable<(long, float[])> Rows(float[] data, int dimension, int count, long firstKey = 0)
    {
        for (int i = 0; i < count; i++) yield return (firstKey + i, data.AsSpan(i * dimension, dimension).ToArray());
    }

    /// <summary>Recall of the quantised index against the exact one, on the same vectors and queries.</summary>
    private (double At1, double At10, float WorstSimilarityError) Recall(float[] data, float[] queries, int count, int queryCount)
    {
        using var exact = new ExactIndex(Dim);
        using var quantized = new QuantizedIndex(Dim);
        exact.AddRange(Rows(data, Dim, count));
        quantized.AddRange(Rows(data, Dim, count));
        Assert.True(quantized.IsTrained);
        int hits1 = 0, hits10 = 0;
        float worst = 0;
        for (int q = 0; q < queryCount; q++)
        {
            var query = queries.AsSpan(q * Dim, Dim);
            var truth = exact.Search(query, 10);
            var found = quantized.Search(query, 10);
            if (found[0].Key == truth[0].Key) hits1++;
            var truthKeys = truth.Select(n => n.Key).ToHashSet();
            hits10 += found.Count(n => truthKeys.Contains(n.Key));
            var truthByKey = truth.ToDictionary(n => n.Key, n => n.Similarity);
            foreach (var n in found)
                if (truthByKey.TryGetValue(n.Key, out float s)) worst = Math.Max(worst, Math.Abs(s - n.Similarity));
        }
        var result = ((double)hits1 / queryCount, hits10 / (10.0 * queryCount), worst);
        output.WriteLine($"recall@1 {result.Item1:F4}  recall@10 {result.Item2:F4}  worst |Δsimilarity| {worst:E2}");
        return result;
    }

    [Fact]
    public void Recall_against_exact_is_at_least_0_99_on_clustered_face_like_vectors()
    {
        var data = SyntheticVectors.Clustered(50_000, Dim, seed: 1);
        var (queries, _) = SyntheticVectors.NoisyCopies(data, Dim, 200, seed: 2);
        var (at1, at10, worst) = Recall(data, queries, 50_000, 200);
        Assert.True(at1 >= 0.99, $"recall@1 {at1}");
        Assert.True(at10 >= 0.98, $"recall@10 {at10}");
        Assert.True(worst < 2e-4f, $"similarity error {worst}");
    }

    [Fact]
    public void Recall_against_exact_stays_high_on_uniform_random_vectors()
    {
        // The adversarial case: on the sphere the best and second-best are ~0.009 apart on average, so the
        // 12-bit re-rank (error up to ~1e-4) swaps a near-tie for ~0.5% of queries; faces are far from that.
        var data = SyntheticVectors.Uniform(50_000, Dim, seed: 3);
        var queries = SyntheticVectors.Uniform(200, Dim, seed: 4);
        var (at1, at10, worst) = Recall(data, queries, 50_000, 200);
        Assert.True(at1 >= 0.98, $"recall@1 {at1}");
        Assert.True(at10 >= 0.95, $"recall@10 {at10}");
        Assert.True(worst < 2e-4f, $"similarity error {worst}");
    }

    [Fact]
    public void Before_training_the_index_is_exact()
    {
        var data = SyntheticVectors.Clustered(1_000, 64, seed: 5);
        var stored = Rows(data, 64, 1_000).ToDictionary(p => p.Item1, p => p.Item2);
        using var index = new QuantizedIndex(64, new QuantizedIndexOptions { TrainingCount = 5_000 });
        index.AddRange(stored.Select(p => (p.Key, p.Value)));
        Assert.False(index.IsTrained);
        var query = stored[17];
        BruteForce.AssertAgrees(BruteForce.Search(stored, query, 20), index.Search(query, 20), stored, query);
    }

    [Fact]
    public void After_training_removed_and_replaced_keys_behave_as_in_the_exact_index()
    {
        var data = SyntheticVectors.Clustered(12_000, 128, seed: 6);
        var stored = Rows(data, 128, 10_000).ToDictionary(p => p.Item1, p => p.Item2);
        using var index = new QuantizedIndex(128, new QuantizedIndexOptions { TrainingCount = 3_000 });
        foreach (var (key, vector) in stored.Take(2_000)) index.Add(key, vector);
        index.AddRange(stored.Skip(2_000).Select(p => (p.Key, p.Value)));
        Assert.True(index.IsTrained);
        Assert.Equal(10_000, index.Count);

        for (long key = 0; key < 10_000; key += 2) Assert.True(index.Remove(key));
        // Key 1 now holds the vector of row 11_000.
        float[] replacement = data.AsSpan(11_000 * 128, 128).ToArray();
        index.Add(1, replacement);
        Assert.Equal(5_000, index.Count);

        for (long key = 0; key < 200; key += 2)
        {
            var found = index.Search(stored[key], 10);
            Assert.DoesNotContain(found, n => n.Key % 2 == 0);
        }
        var best = index.Search(replacement, 1).Single();
        Assert.Equal(1, best.Key);
        Assert.InRange(best.Similarity, 0.9998f, 1.0002f);
        Assert.Equal(3, index.Search(stored[3], 1).Single().Key);
    }

    [Fact]
    public void A_vector_outside_the_trained_range_is_kept_exact()
    {
        var data = SyntheticVectors.Clustered(4_000, 64, seed: 7);
        using var index = new QuantizedIndex(64, new QuantizedIndexOptions { TrainingCount = 2_000 });
        index.AddRange(Rows(data, 64, 4_000));
        int before = index.OutlierCount; // a handful of face-like vectors may already fall outside
        var spike = new float[64];
        spike[5] = 1f; // no trained face-like vector comes near a unit axis
        index.Add(99_999, spike);
        Assert.Equal(before + 1, index.OutlierCount);
        var best = index.Search(spike, 1).Single();
        Assert.Equal(99_999, best.Key);
        Assert.Equal(1f, best.Similarity, 6);
        index.Remove(99_999);
        Assert.Equal(before, index.OutlierCount);
    }

    [Fact]
    public void Memory_per_512_dimension_vector_is_under_a_kilobyte_after_training()
    {
        const int Count = 3 * 8192; // whole storage chunks, so the figure is not rounded up by a partial chunk
        var data = SyntheticVectors.Clustered(Count, Dim, seed: 8);
        using var index = new QuantizedIndex(Dim);
        index.AddRange(Rows(data, Dim, Count));
        double perVector = (double)index.MemoryBytes / Count;
        output.WriteLine($"{perVector:F0} bytes per vector");
        // 128 (2-bit) + 512 (fine byte) + 256 (fine nibble) + 8 (key) = 904.
        Assert.InRange(perVector, 900, 910);
    }

    [Theory]
    [InlineData(10_000, typeof(ExactIndex))]
    [InlineData(VectorIndexFactory.QuantizedFrom, typeof(QuantizedIndex))]
    [InlineData(1_000_000, typeof(QuantizedIndex))]
    public void Factory_uses_the_exact_index_for_small_collections_and_the_quantised_one_for_large(int expected, Type kind)
    {
        using var index = VectorIndexFactory.Create(Dim, expected);
        Assert.IsType(kind, index);
        Assert.Equal(Dim, index.Dimension);
    }

    [Fact]
    public void Factory_index_for_unknown_size_is_exact_until_the_threshold_then_quantises_itself()
    {
        const int D = 32;
        var data = SyntheticVectors.Clustered(VectorIndexFactory.QuantizedFrom + 10, D, seed: 10);
        var index = (QuantizedIndex)VectorIndexFactory.Create(D);
        using var _ = index;
        index.AddRange(Rows(data, D, VectorIndexFactory.QuantizedFrom - 1));
        Assert.False(index.IsTrained);
        long exactBytes = index.MemoryBytes;
        for (int i = VectorIndexFactory.QuantizedFrom - 1; i < VectorIndexFactory.QuantizedFrom + 10; i++) index.Add(i, data.AsSpan(i * D, D));
        Assert.True(index.IsTrained);
        Assert.True(index.MemoryBytes < exactBytes, $"{index.MemoryBytes} >= {exactBytes}");
        Assert.Equal(777, index.Search(data.AsSpan(777 * D, D), 1).Single().Key);
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("quantized")]
    public void An_index_emptied_by_removals_accepts_a_new_load(string kind)
    {
        var data = SyntheticVectors.Clustered(20_000, 64, seed: 9);
        using var index = ConcurrencyTests.Create(kind, 64);
        index.AddRange(Rows(data, 64, 20_000));
        for (long key = 0; key < 20_000; key++) index.Remove(key);
        Assert.Equal(0, index.Count);
        index.AddRange(Rows(data, 64, 20_000, firstKey: 100_000));
        Assert.Equal(20_000, index.Count);
        Assert.Equal(100_123, index.Search(data.AsSpan(123 * 64, 64), 1).Single().Key);
    }
}
