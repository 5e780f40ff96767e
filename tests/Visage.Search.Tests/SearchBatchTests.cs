using System.Collections.Concurrent;
using System.Diagnostics;
using Visage.Search.Synthetic;
using Xunit;

namespace Visage.Search.Tests;

/// <summary>SearchBatch must be a faster way to ask the same questions: answer i equals Search of row i
/// exactly (keys and similarities), whatever the batch size, the index kind and its state.</summary>
public sealed class SearchBatchTests
{
    // 160 dimensions: not a multiple of the 128 that one 32-byte block of 2-bit codes holds, so padding is exercised.
    const int Dim = 160, Stored = 3_000;

    public static TheoryData<string> Kinds => ["exact", "quantized", "untrained"];

    static IVectorIndex Create(string kind) => kind switch
    {
        "exact" => new ExactIndex(Dim),
        "untrained" => new QuantizedIndex(Dim, new QuantizedIndexOptions { TrainingCount = Stored + 1 }),
        _ => new QuantizedIndex(Dim, new QuantizedIndexOptions { TrainingCount = 1_000 }),
    };

    /// <summary>Clustered vectors, plus (trained index) spiky vectors outside the trained range that are kept
    /// as float32 and re-ranked exactly.</summary>
    static (IVectorIndex Index, float[] Data) Build(string kind, int count = Stored)
    {
        var data = SyntheticVectors.Clustered(count, Dim, seed: 5);
        var index = Create(kind);
        index.AddRange(Enumerable.Range(0, count).Select(i => ((long)i, data.AsSpan(i * Dim, Dim).ToArray())));
        if (index is QuantizedIndex { IsTrained: true } quantized)
        {
            for (int i = 0; i < 20; i++)
            {
                var spike = data.AsSpan(i * Dim, Dim).ToArray();
                spike[i] = 3f;
                index.Add(100_000 + i, spike);
            }
            Assert.True(quantized.OutlierCount > 0);
        }
        return (index, data);
    }

    static float[] Queries(float[] data, int count)
    {
        // Half are other photos of stored identities, half are strangers.
        var (near, _) = SyntheticVectors.NoisyCopies(data, Dim, (count + 1) / 2, seed: 9);
        var far = SyntheticVectors.Uniform(count / 2, Dim, seed: 10);
        return [.. near, .. far];
    }

    static void AssertSameAsOneByOne(IVectorIndex index, float[] queries, int k, float minSimilarity)
    {
        var batch = index.SearchBatch(queries, k, minSimilarity);
        Assert.Equal(queries.Length / Dim, batch.Length);
        for (int i = 0; i < batch.Length; i++)
            Assert.Equal(index.Search(queries.AsSpan(i * Dim, Dim), k, minSimilarity), batch[i]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Batch_answers_equal_one_by_one_answers_for_every_batch_size(string kind)
    {
        var (index, data) = Build(kind);
        using var _ = index;
        foreach (int size in new[] { 1, 3, 17, 64 })
            AssertSameAsOneByOne(index, Queries(data, size), k: 10, float.NegativeInfinity);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Batch_answers_equal_one_by_one_answers_above_a_similarity_floor(string kind)
    {
        var (index, data) = Build(kind);
        using var _ = index;
        var queries = Queries(data, 17);
        var answers = index.SearchBatch(queries, 50, 0.6f);
        // The floor must cut: strangers get nothing, other photos of an identity keep some neighbours.
        Assert.Contains(answers, a => a.Count == 0);
        Assert.Contains(answers, a => a.Count is > 0 and < 50);
        AssertSameAsOneByOne(index, queries, 50, 0.6f);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Batch_returns_everything_when_k_exceeds_the_count(string kind)
    {
        var (index, data) = Build(kind, count: kind == "untrained" ? 200 : Stored);
        using var _ = index;
        var queries = Queries(data, 5);
        var answers = index.SearchBatch(queries, index.Count + 10);
        Assert.All(answers, a => Assert.Equal(index.Count, a.Count));
        AssertSameAsOneByOne(index, queries, index.Count + 10, float.NegativeInfinity);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Empty_batch_gives_no_answers_and_k_zero_gives_empty_answers(string kind)
    {
        var (index, data) = Build(kind, count: 100);
        using var _ = index;
        Assert.Empty(index.SearchBatch([], 10));
        Assert.All(index.SearchBatch(Queries(data, 3), 0), Assert.Empty);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Batch_of_an_empty_index_gives_empty_answers(string kind)
    {
        using var index = Create(kind);
        var answers = index.SearchBatch(SyntheticVectors.Uniform(3, Dim, seed: 1), 10);
        Assert.Equal(3, answers.Length);
        Assert.All(answers, Assert.Empty);
    }

    [Fact]
    public void Mis_sized_or_invalid_batches_are_refused_with_argument_errors()
    {
        var (index, data) = Build("quantized", count: 1_500);
        using var _ = index;
        var queries = Queries(data, 3);
        Assert.ThrowsAny<ArgumentException>(() => index.SearchBatch(queries.AsSpan(0, 2 * Dim + 1), 10));
        var withZeroRow = queries.ToArray();
        withZeroRow.AsSpan(Dim, Dim).Clear();
        Assert.Throws<InvalidVectorException>(() => index.SearchBatch(withZeroRow, 10));
        withZeroRow[Dim] = float.NaN;
        Assert.Throws<InvalidVectorException>(() => index.SearchBatch(withZeroRow, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.SearchBatch(queries, -1));
        Assert.ThrowsAny<ArgumentException>(() => index.SearchBatch(queries, 10, float.NaN));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Batches_running_beside_adds_and_removes_never_return_a_key_removed_before_they_started(string kind)
    {
        const int Permanent = 1_500, Churn = 400;
        var data = SyntheticVectors.Clustered(Permanent + Churn, Dim, seed: 17);
        float[] Row(int i) => data.AsSpan(i * Dim, Dim).ToArray();
        using var index = kind == "untrained" ? new QuantizedIndex(Dim, new QuantizedIndexOptions { TrainingCount = 1_000_000 }) : Create(kind);
        index.AddRange(Enumerable.Range(0, Permanent).Select(i => ((long)i, Row(i))));

        var failures = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        bool Running() => clock.ElapsedMilliseconds < 1_000 && failures.IsEmpty;
        var writer = new Thread(() =>
        {
            var random = new Random(3);
            var present = new HashSet<long>();
            while (Running())
            {
                long key = Permanent + random.Next(Churn);
                if (!present.Remove(key))
                {
                    index.Add(key, Row((int)key));
                    present.Add(key);
                    continue;
                }
                index.Remove(key);
                // A batch that starts now, holding the removed vector itself among other queries, must not see it.
                var queries = new float[4 * Dim];
                for (int i = 0; i < 4; i++) data.AsSpan((int)(i == 2 ? key : random.Next(Permanent)) * Dim, Dim).CopyTo(queries.AsSpan(i * Dim));
                foreach (var answer in index.SearchBatch(queries, 5))
                    if (answer.Any(n => n.Key == key)) failures.Enqueue($"{key} returned by a batch after Remove");
            }
        });
        var readers = Enumerable.Range(0, 2).Select(reader => new Thread(() =>
        {
            var random = new Random(50 + reader);
            while (Running())
            {
                var probes = Enumerable.Range(0, 1 + random.Next(20)).Select(_ => random.Next(Permanent)).ToArray();
                var queries = probes.SelectMany(Row).ToArray();
                var answers = index.SearchBatch(queries, 10);
                for (int i = 0; i < probes.Length; i++)
                {
                    var found = answers[i];
                    if (found.Count != 10 || found[0].Key != probes[i]) failures.Enqueue($"permanent {probes[i]} not found first");
                    for (int j = 1; j < found.Count; j++)
                        if (found[j].Similarity > found[j - 1].Similarity) failures.Enqueue("results not best first");
                }
            }
        })).ToList();
        readers.Add(writer);
        readers.ForEach(t => t.Start());
        readers.ForEach(t => t.Join());
        Assert.True(failures.IsEmpty, string.Join("; ", failures.Take(5)));
    }
}
