using System.Collections.Concurrent;
using System.Diagnostics;
using Visage.Search.Synthetic;
using Xunit;

namespace Visage.Search.Tests;

/// <summary>Writers add and remove their own keys while readers search, for a bounded time; each
/// thread checks the invariants it can know for sure. Shared by every index implementation.</summary>
public sealed class ConcurrencyTests
{
    public static TheoryData<string> Indexes => ["exact", "quantized"];

    internal static IVectorIndex Create(string kind, int dimension) => kind switch
    {
        "exact" => new ExactIndex(dimension),
        // Trains after 2,000 of the 5,000 permanent vectors, so the run exercises the quantised path.
        _ => new QuantizedIndex(dimension, new QuantizedIndexOptions { TrainingCount = 2_000 }),
    };

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Concurrent_adds_removes_and_searches_keep_every_invariant(string kind)
    {
        const int Dim = 128, Permanent = 5_000, Writers = 2, Readers = 2, KeysPerWriter = 500;
        var data = SyntheticVectors.Clustered(Permanent + Writers * KeysPerWriter, Dim, seed: 31);
        float[] Row(int i) => data.AsSpan(i * Dim, Dim).ToArray();
        using var index = Create(kind, Dim);
        index.AddRange(Enumerable.Range(0, Permanent).Select(i => ((long)i, Row(i))));

        var failures = new ConcurrentQueue<string>();
        var stop = Stopwatch.StartNew();
        bool Running() => stop.ElapsedMilliseconds < 2_000 && failures.IsEmpty;
        var present = new HashSet<long>[Writers];
        var threads = new List<Thread>();
        for (int w = 0; w < Writers; w++)
        {
            int writer = w;
            present[w] = [];
            threads.Add(new Thread(() =>
            {
                var random = new Random(writer);
                while (Running())
                {
                    long key = Permanent + writer * KeysPerWriter + random.Next(KeysPerWriter);
                    float[] vector = Row((int)key);
                    if (present[writer].Remove(key))
                    {
                        if (!index.Remove(key)) failures.Enqueue($"Remove({key}) returned false");
                        if (index.Contains(key)) failures.Enqueue($"{key} still contained after Remove");
                        if (index.Search(vector, 5).Any(n => n.Key == key)) failures.Enqueue($"{key} returned after Remove");
                    }
                    else
                    {
                        index.Add(key, vector);
                        present[writer].Add(key);
                        var best = index.Search(vector, 1);
                        if (best.Count != 1 || best[0].Key != key) failures.Enqueue($"{key} not found right after Add");
                    }
                }
            }));
        }
        for (int r = 0; r < Readers; r++)
        {
            int reader = r;
            threads.Add(new Thread(() =>
            {
                var random = new Random(100 + reader);
                while (Running())
                {
                    int probe = random.Next(Permanent);
                    var found = index.Search(Row(probe), 10);
                    if (found.Count != 10) failures.Enqueue($"got {found.Count} of 10");
                    else if (found[0].Key != probe) failures.Enqueue($"permanent {probe} not first but {found[0].Key}");
                    for (int i = 1; i < found.Count; i++)
                        if (found[i].Similarity > found[i - 1].Similarity) failures.Enqueue("results not best first");
                    if (found.Select(n => n.Key).Distinct().Count() != found.Count) failures.Enqueue("duplicate keys in results");
                }
            }));
        }
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.True(failures.IsEmpty, string.Join("; ", failures.Take(5)));
        Assert.Equal(Permanent + present.Sum(p => p.Count), index.Count);
        foreach (var keys in present)
            foreach (long key in keys)
                Assert.True(index.Contains(key));
    }
}
