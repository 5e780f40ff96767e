using System.Collections.Concurrent;
using Visage.Search.Synthetic;
using Visage.Service;
using Xunit;

namespace Visage.Search.Tests;

/// <summary>Identify searches of a large collection that overlap are served by shared scans; each must still
/// get exactly what it would get alone, and a deleted face must stay gone.</summary>
public sealed class SearchCoalescerTests
{
    const int Dim = 128, Vectors = SearchCoalescer.MinVectors + 2_000, PhotosPerPerson = 10;

    static string Face(int row) => $"face-{row}";
    static string Person(int row) => $"person-{row / PhotosPerPerson}";

    /// <summary>One face per vector, ten faces per person, as the service's index manager holds them.</summary>
    static (IndexManager Manager, float[] Data) Build(int count = Vectors)
    {
        var data = SyntheticVectors.Clustered(count, Dim, seed: 23, photosPerIdentity: PhotosPerPerson);
        var manager = new IndexManager(VectorIndexFactory.Create, Dim);
        for (int row = 0; row < count; row++) manager.Add("c", row, Face(row), Person(row), data.AsSpan(row * Dim, Dim));
        return (manager, data);
    }

    /// <summary>Other photos of enrolled people and strangers, with mixed top-k and thresholds, so batches mix
    /// floors and the widening rounds (another k) run too.</summary>
    static (float[] Query, int TopK, float Threshold)[] Requests(float[] data, int count)
    {
        var (near, _) = SyntheticVectors.NoisyCopies(data, Dim, count, seed: 4);
        var strangers = SyntheticVectors.Uniform(count, Dim, seed: 5);
        int[] topKs = [1, 5, 10];
        float[] thresholds = [0.3f, 0.55f, -1f];
        return [.. Enumerable.Range(0, count).Select(i =>
            ((i % 4 == 3 ? strangers : near).AsSpan(i * Dim, Dim).ToArray(), topKs[i % 3], thresholds[i / 3 % 3]))];
    }

    static void RunConcurrently(int threads, Action<int> body)
    {
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => { start.SignalAndWait(); body(t); })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
    }

    [Fact]
    public void Overlapping_searches_of_a_large_collection_are_batched_and_return_what_lone_searches_return()
    {
        var (manager, data) = Build();
        using var _ = manager;
        var requests = Requests(data, 36);
        var alone = requests.Select(r => manager.Search("c", r.Query, r.TopK, r.Threshold)).ToArray();
        Assert.Equal(0, manager.Batching.Queries);
        Assert.Contains(alone, hits => hits.Count == 0);
        Assert.Contains(alone, hits => hits.Count > 1);

        var failures = new ConcurrentQueue<string>();
        RunConcurrently(8, thread =>
        {
            for (int round = 0; round < 2; round++)
                for (int j = 0; j < requests.Length; j++)
                {
                    int i = (j + thread * 5) % requests.Length;
                    var hits = manager.Search("c", requests[i].Query, requests[i].TopK, requests[i].Threshold);
                    if (!hits.SequenceEqual(alone[i])) failures.Enqueue($"request {i}: [{string.Join(", ", hits)}] instead of [{string.Join(", ", alone[i])}]");
                }
        });
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(3)));
        Assert.True(manager.Batching.Batches > 0 && manager.Batching.Queries >= 2 * manager.Batching.Batches,
            $"{manager.Batching.Queries} searches in {manager.Batching.Batches} batches");
    }

    [Fact]
    public void A_face_deleted_before_a_search_starts_is_never_returned_by_a_shared_scan()
    {
        var (manager, data) = Build();
        using var _ = manager;
        // Deletion starts after a face enters "deleting" and is complete when it enters "deleted".
        var deleting = new ConcurrentDictionary<int, bool>();
        var deleted = new ConcurrentDictionary<int, bool>();
        var failures = new ConcurrentQueue<string>();
        RunConcurrently(6, thread =>
        {
            var random = new Random(thread);
            for (int i = 0; i < 40; i++)
            {
                // Thread 0 deletes a face, then looks for it; the others search photos of faces that may be deleted.
                int row = thread == 0 ? i * 97 : random.Next(40) * 97;
                if (thread == 0)
                {
                    deleting[row] = true;
                    manager.MarkFaceDeleted("c", Face(row));
                    manager.RemoveReferences("c", [row]);
                    deleted[row] = true;
                }
                bool goneBefore = deleted.ContainsKey(row);
                var hits = manager.Search("c", data.AsSpan(row * Dim, Dim), 5, 0f);
                if (goneBefore && hits.Any(h => h.FaceId == Face(row))) failures.Enqueue($"{Face(row)} returned after its deletion");
                if (hits.All(h => h.FaceId != Face(row)) && !deleting.ContainsKey(row)) failures.Enqueue($"{Face(row)} missing while present");
            }
        });
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(3)));
        Assert.True(manager.Batching.Batches > 0);
    }

    [Fact]
    public void A_bad_search_in_a_batch_fails_alone_and_its_neighbours_get_their_answers()
    {
        var data = SyntheticVectors.Clustered(Vectors, Dim, seed: 8);
        using var index = VectorIndexFactory.Create(Dim);
        index.AddRange(Enumerable.Range(0, Vectors).Select(i => ((long)i, data.AsSpan(i * Dim, Dim).ToArray())));
        var counters = new SearchBatchCounters();
        // One scanner: every search that overlaps another one queues, so batches form even on a quiet machine.
        var coalescer = new SearchCoalescer(index, counters, scanners: 1);
        var (queries, _) = SyntheticVectors.NoisyCopies(data, Dim, 20, seed: 3);
        var alone = Enumerable.Range(0, 20).Select(i => index.Search(queries.AsSpan(i * Dim, Dim), 10, 0.2f)).ToArray();
        var failures = new ConcurrentQueue<string>();
        RunConcurrently(6, thread =>
        {
            for (int i = 0; i < 20; i++)
            {
                if ((i + thread) % 7 == 0)
                {
                    try
                    {
                        coalescer.Search(new float[Dim], 10, 0.2f);
                        failures.Enqueue("a zero vector was searched");
                    }
                    catch (InvalidVectorException) { }
                    continue;
                }
                var found = coalescer.Search(queries.AsSpan(i * Dim, Dim), 10, 0.2f);
                if (!found.SequenceEqual(alone[i])) failures.Enqueue($"query {i} answered differently in a batch");
            }
        });
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(3)));
        Assert.True(counters.Batches > 0);
    }

    [Fact]
    public void Searches_of_a_small_collection_go_straight_to_the_index()
    {
        var (manager, data) = Build(count: 2_000);
        using var _ = manager;
        RunConcurrently(6, thread =>
        {
            for (int i = 0; i < 50; i++) manager.Search("c", data.AsSpan((thread * 50 + i) * Dim, Dim), 5, 0f);
        });
        Assert.Equal(0, manager.Batching.Batches);
    }
}
