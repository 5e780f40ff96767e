using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Visage.Bench.Search;
using Visage.Search;
using Visage.Search.Synthetic;

// Search benchmark: builds the exact and the quantised index over seeded synthetic vectors and over real
// embeddings (alone, and planted among distractors drawn from a Gaussian fitted to them), measures load
// time, latency and throughput on one and two threads (query by query and batched), recall against exact
// search, identity rank-1 for the real queries, and memory; writes the vectors, queries and exact answers
// to a work directory for bench/search/faiss_bench.py.
// Usage: Visage.Bench.Search [--quick] [--sizes 100000,1000000] [--queries 1000] [--work DIR]
//        [--faces DIR] [--cache DIR] [--no-real]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = BenchOptions.Parse(args);
Directory.CreateDirectory(options.Work);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.ProcessArchitecture}, " +
                  $"AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}; dimension {BenchOptions.Dimension}");
var cases = new List<CaseResult>();
foreach (int n in options.Sizes)
{
    cases.Add(SearchBench.RunSynthetic("clustered", n, options));
    cases.Add(SearchBench.RunSynthetic("uniform", n, options));
}
if (options.FacesDir is { } faces)
{
    var real = RealEmbeddings.LoadOrCompute(faces, options.Cache);
    var split = RealSplit.From(real, options.Queries);
    var labels = new QueryLabels(split.QueryIdentity, split.QueryFromOtherPhoto);
    int enrolled = split.DatabaseIdentity.Length;
    Console.WriteLine($"real split: {enrolled} database rows, {split.QueryIdentity.Length} queries " +
                      $"({split.QueryFromOtherPhoto.Count(x => x)} from held-out photos of enrolled people, the rest unseen augmentations of enrolled photos)");
    // Train on half the rows so the quantiser meets rows it was not trained on, as in a growing collection.
    cases.Add(SearchBench.Run("real", enrolled, split.Database, split.Queries, split.DatabaseIdentity, labels, options,
        new QuantizedIndexOptions { TrainingCount = enrolled / 2 }));
    foreach (int n in options.Sizes)
    {
        var (data, rowIdentity) = split.PlantAmongDistractors(n, seed: 9);
        cases.Add(SearchBench.Run("real-shaped", n, data, split.Queries, rowIdentity, labels, options));
    }
}
File.WriteAllText(Path.Combine(options.Work, "dotnet.json"), JsonSerializer.Serialize(cases, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {Path.Combine(options.Work, "dotnet.json")}");

internal sealed record BenchOptions(int[] Sizes, int Queries, string Work, string? FacesDir, string Cache)
{
    public const int Dimension = 512;
    public const int K = 10;

    public static BenchOptions Parse(string[] args)
    {
        int[] sizes = [100_000, 1_000_000];
        int queries = 1000;
        string work = Path.Combine(Path.GetTempPath(), "visage-bench-search");
        string? faces = null;
        bool noReal = false;
        string cache = Environment.GetEnvironmentVariable("VISAGE_BENCH_CACHE") is { Length: > 0 } c
            ? c : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "visage-bench");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": sizes = [100_000]; break;
                case "--sizes": sizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--queries": queries = int.Parse(args[++i]); break;
                case "--work": work = args[++i]; break;
                case "--faces": faces = args[++i]; break;
                case "--no-real": noReal = true; break;
                case "--cache": cache = args[++i]; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        return new BenchOptions(sizes, queries, work, noReal ? null : faces, cache);
    }
}

/// <summary>CpuMsPerQuery is process CPU time over the loop: on a machine shared with other jobs it shows
/// the cost of a query without the time spent waiting for a core.</summary>
internal sealed record Timing(double QueriesPerSecond, double P50Ms, double P95Ms, double CpuMsPerQuery);

/// <summary>Identity of each query, and whether it comes from a photo that is not in the database.</summary>
internal sealed record QueryLabels(int[] Identity, bool[] FromOtherPhoto);

/// <summary>Batched search (IVectorIndex.SearchBatch over the whole query set on one thread, or split in two
/// halves on two threads): q/s, CPU ms per query of the one-thread run, and recall of its answers.</summary>
internal sealed record BatchTiming(double OneThreadQps, double OneThreadCpuMsPerQuery, double TwoThreadsQps, double RecallAt1, double RecallAt10);

/// <summary>Identity rank-1: the share of queries whose top answer is a row of the query's own identity
/// (distractor rows have none), for exact and quantised search, over all queries and over the queries from
/// held-out photos only.</summary>
internal sealed record IdentityResult(int RealRows, int OtherPhotoQueries, double ExactRank1, double QuantizedRank1,
    double ExactRank1OtherPhoto, double QuantizedRank1OtherPhoto, double DistractorShareOfExactTopK);

internal sealed record CaseResult(string Shape, int Count, int Queries, string DataFile, string QueryFile, string TruthFile,
    double ExactLoadSeconds, long ExactVectorBytes, Timing ExactOneThread, double ExactBatchTwoThreadsQps,
    double QuantizedLoadSeconds, long QuantizedVectorBytes, long QuantizedRssBytes, int Outliers,
    Timing QuantizedOneThread, double QuantizedTwoThreadsQps, double RecallAt1, double RecallAt10, double MaxSimilarityError, int NearTieMisses,
    BatchTiming QuantizedBatch, IdentityResult? Identity);

internal static class SearchBench
{
    public static CaseResult RunSynthetic(string shape, int n, BenchOptions options)
    {
        const int D = BenchOptions.Dimension;
        var clock = Stopwatch.StartNew();
        // The generators must stay byte-for-byte reproducible: cached FAISS HNSW indexes are keyed by the data files' bytes.
        float[] data = shape == "clustered" ? SyntheticVectors.Clustered(n, D, seed: 1) : SyntheticVectors.Uniform(n, D, seed: 1);
        float[] queries = shape == "clustered"
            ? SyntheticVectors.NoisyCopies(data, D, options.Queries, seed: 2).Queries
            : SyntheticVectors.Uniform(options.Queries, D, seed: 2);
        Console.WriteLine($"\n{shape} {n:N0}: generated in {clock.Elapsed.TotalSeconds:F1} s");
        return Run(shape, n, data, queries, null, null, options);
    }

    /// <param name="rowIdentity">Identity of each data row (-1: none) for the real cases, else null.</param>
    public static CaseResult Run(string shape, int n, float[] data, float[] queries, int[]? rowIdentity, QueryLabels? labels,
        BenchOptions options, QuantizedIndexOptions? quantizedOptions = null)
    {
        const int D = BenchOptions.Dimension, K = BenchOptions.K;
        int queryCount = queries.Length / D;
        Console.WriteLine();
        Console.WriteLine($"== {shape}, {n:N0} vectors, {queryCount} queries, k={K}");

        string prefix = Path.Combine(options.Work, $"{shape}-{n}");
        WriteFloats(prefix + ".data.f32", data);
        WriteFloats(prefix + ".queries.f32", queries);

        // Quantised first, while the process holds only the raw data, so its RSS growth is its own.
        long rssBefore = Rss();
        var quantized = new QuantizedIndex(D, quantizedOptions);
        double quantizedLoad = Load(quantized, data, n);
        long rssAfter = Rss();
        long quantizedRss = rssAfter - rssBefore;
        long quantizedBytes = quantized.MemoryBytes;
        Console.WriteLine($"quantized: load {quantizedLoad:F2} s, vector bytes {quantizedBytes / 1e6:F0} MB ({(double)quantizedBytes / n:F0} B/vector), " +
                          $"RSS {rssBefore / 1e6:F0} → {rssAfter / 1e6:F0} MB (the raw test vectors alone are {data.Length * 4L / 1e6:F0} MB), outliers kept float32 {quantized.OutlierCount}");
        var quantizedAnswers = new IReadOnlyList<Neighbor>[queryCount];
        Timing quantizedOne = TimeOneThread(quantized, queries, queryCount, quantizedAnswers);
        double quantizedTwo = TimeThreads(quantized, queries, queryCount, threads: 2);
        Console.WriteLine($"quantized one by one: 1 thread {quantizedOne.QueriesPerSecond:F1} q/s, p50 {quantizedOne.P50Ms:F2} ms, p95 {quantizedOne.P95Ms:F2} ms, CPU {quantizedOne.CpuMsPerQuery:F2} ms/query; 2 threads {quantizedTwo:F1} q/s");
        var (batchOne, batchCpu, batchAnswers) = TimeBatch(quantized, queries, threads: 1);
        var (batchTwo, _, _) = TimeBatch(quantized, queries, threads: 2);
        Console.WriteLine($"quantized batched (SearchBatch, {queryCount} queries): 1 thread {batchOne:F1} q/s, CPU {batchCpu:F2} ms/query; 2 threads {batchTwo:F1} q/s");

        int outliers = quantized.OutlierCount;
        quantized.Dispose();
        GC.Collect();

        var exact = new ExactIndex(D);
        double exactLoad = Load(exact, data, n);
        long exactBytes = exact.MemoryBytes;
        // Exact answers for every query, batched on both cores (the ground truth; faiss_bench.py checks it
        // against FAISS's IndexFlatIP); the one-thread timing uses a subset because a 1M exact scan costs a
        // few hundred ms.
        var (exactBatchTwo, _, truth) = TimeBatch(exact, queries, threads: 2);
        int timed = Math.Max(10, Math.Min(Math.Min(queryCount, 200), 20_000_000 / n));
        Timing exactOne = TimeOneThread(exact, queries, timed, null);
        Console.WriteLine($"exact: load {exactLoad:F2} s, vector bytes {exactBytes / 1e6:F0} MB; 1 thread {exactOne.QueriesPerSecond:F1} q/s, p50 {exactOne.P50Ms:F1} ms, p95 {exactOne.P95Ms:F1} ms, CPU {exactOne.CpuMsPerQuery:F1} ms/query ({timed} queries); batched on 2 threads {exactBatchTwo:F1} q/s");
        exact.Dispose();

        var (at1, at10, maxError, nearTies) = Recall(truth, quantizedAnswers);
        var (batchAt1, batchAt10, _, _) = Recall(truth, batchAnswers);
        Console.WriteLine($"quantized vs exact: recall@1 {at1:F4} ({nearTies} of the {(int)Math.Round((1 - at1) * queryCount)} top-1 misses are near-ties ≤ {NearTie:E1}), " +
                          $"recall@10 {at10:F4}, max |Δsimilarity| {maxError:E1}; batched answers: recall@1 {batchAt1:F4}, recall@10 {batchAt10:F4}");
        IdentityResult? identity = null;
        if (rowIdentity is not null && labels is not null)
        {
            identity = Identify(rowIdentity, labels, truth, quantizedAnswers);
            Console.WriteLine($"identity rank-1: exact {identity.ExactRank1:F4}, quantized {identity.QuantizedRank1:F4}; " +
                              $"on the {identity.OtherPhotoQueries} queries from held-out photos: exact {identity.ExactRank1OtherPhoto:F4}, quantized {identity.QuantizedRank1OtherPhoto:F4}; " +
                              $"distractors hold {identity.DistractorShareOfExactTopK:P1} of the exact top-{K} slots");
        }
        WriteTruth(prefix + ".truth.i64", truth, K);
        return new CaseResult(shape, n, queryCount, prefix + ".data.f32", prefix + ".queries.f32", prefix + ".truth.i64",
            exactLoad, exactBytes, exactOne, exactBatchTwo, quantizedLoad, quantizedBytes, quantizedRss, outliers,
            quantizedOne, quantizedTwo, at1, at10, maxError, nearTies,
            new BatchTiming(batchOne, batchCpu, batchTwo, batchAt1, batchAt10), identity);
    }

    private const float NearTie = 2.5e-4f;

    private static IdentityResult Identify(int[] rowIdentity, QueryLabels labels, IReadOnlyList<Neighbor>[] exact, IReadOnlyList<Neighbor>[] quantized)
    {
        int exactHits = 0, quantizedHits = 0, other = 0, exactOther = 0, quantizedOther = 0;
        for (int q = 0; q < exact.Length; q++)
        {
            bool e = exact[q].Count > 0 && rowIdentity[exact[q][0].Key] == labels.Identity[q];
            bool z = quantized[q].Count > 0 && rowIdentity[quantized[q][0].Key] == labels.Identity[q];
            exactHits += e ? 1 : 0;
            quantizedHits += z ? 1 : 0;
            if (!labels.FromOtherPhoto[q]) continue;
            other++;
            exactOther += e ? 1 : 0;
            quantizedOther += z ? 1 : 0;
        }
        int real = 0;
        foreach (int id in rowIdentity) real += id >= 0 ? 1 : 0;
        // Do the fitted distractors compete with the real rows at all? Share of exact top-k slots they take.
        int slots = 0, distractorSlots = 0;
        foreach (var answer in exact)
            foreach (var neighbor in answer)
            {
                slots++;
                distractorSlots += rowIdentity[neighbor.Key] < 0 ? 1 : 0;
            }
        return new IdentityResult(real, other, (double)exactHits / exact.Length, (double)quantizedHits / exact.Length,
            other == 0 ? double.NaN : (double)exactOther / other, other == 0 ? double.NaN : (double)quantizedOther / other,
            slots == 0 ? 0 : (double)distractorSlots / slots);
    }

    /// <summary>SearchBatch over all queries: on one thread in one call, on two threads as two halves.</summary>
    private static (double Qps, double CpuMsPerQuery, IReadOnlyList<Neighbor>[] Answers) TimeBatch(IVectorIndex index, float[] queries, int threads)
    {
        int d = index.Dimension, count = queries.Length / d;
        index.SearchBatch(queries.AsSpan(0, d), BenchOptions.K); // warm-up
        var parts = new IReadOnlyList<Neighbor>[threads][];
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int part = t, first = count * t / threads, last = count * (t + 1) / threads;
            workers[t] = new Thread(() => parts[part] = index.SearchBatch(queries.AsSpan(first * d, (last - first) * d), BenchOptions.K));
            workers[t].Start();
        }
        foreach (var worker in workers) worker.Join();
        double seconds = clock.Elapsed.TotalSeconds;
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        var answers = new IReadOnlyList<Neighbor>[count];
        int at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(answers, at);
            at += part.Length;
        }
        return (count / seconds, cpuMs / count, answers);
    }

    private static double Load(IVectorIndex index, float[] data, int n)
    {
        int d = index.Dimension;
        var clock = Stopwatch.StartNew();
        // One fresh array per row, as rows read from the store would arrive.
        index.AddRange(Enumerable.Range(0, n).Select(i => ((long)i, data.AsSpan(i * d, d).ToArray())));
        double seconds = clock.Elapsed.TotalSeconds;
        GC.Collect();
        return seconds;
    }

    private static Timing TimeOneThread(IVectorIndex index, float[] queries, int count, IReadOnlyList<Neighbor>[]? answers)
    {
        int d = index.Dimension;
        index.Search(queries.AsSpan(0, d), BenchOptions.K); // warm-up: JIT and pooled buffers
        var latencies = new double[count];
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        for (int q = 0; q < count; q++)
        {
            long start = Stopwatch.GetTimestamp();
            var found = index.Search(queries.AsSpan(q * d, d), BenchOptions.K);
            latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (answers is not null) answers[q] = found;
        }
        double seconds = total.Elapsed.TotalSeconds;
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        Array.Sort(latencies);
        return new Timing(count / seconds, latencies[count / 2], latencies[Math.Min(count - 1, (int)(count * 0.95))], cpuMs / count);
    }

    private static double TimeThreads(IVectorIndex index, float[] queries, int count, int threads)
    {
        int d = index.Dimension, next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            int q;
            while ((q = Interlocked.Increment(ref next)) < count) index.Search(queries.AsSpan(q * d, d), BenchOptions.K);
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Recall@1 and @10 against the exact answers, the largest similarity error among returned true
    /// neighbours, and how many top-1 misses are near-ties: the returned vector is within <see cref="NearTie"/>
    /// of the best one by exact similarity (two augmentations of one photo, say), which the 12-bit re-rank
    /// cannot order.</summary>
    private static (double At1, double At10, double MaxError, int NearTieMisses) Recall(IReadOnlyList<Neighbor>[] truth, IReadOnlyList<Neighbor>[] found)
    {
        int hits1 = 0, hits10 = 0, wanted10 = 0, nearTies = 0;
        double maxError = 0;
        for (int q = 0; q < truth.Length; q++)
        {
            var exact = truth[q].ToDictionary(n => n.Key, n => n.Similarity);
            if (found[q].Count > 0 && found[q][0].Key == truth[q][0].Key) hits1++;
            else if (found[q].Count > 0 && exact.TryGetValue(found[q][0].Key, out float second) && truth[q][0].Similarity - second <= NearTie) nearTies++;
            wanted10 += truth[q].Count;
            foreach (var n in found[q])
            {
                if (!exact.TryGetValue(n.Key, out float s)) continue;
                hits10++;
                maxError = Math.Max(maxError, Math.Abs(s - n.Similarity));
            }
        }
        return ((double)hits1 / truth.Length, (double)hits10 / wanted10, maxError, nearTies);
    }

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    private static void WriteFloats(string path, float[] values)
    {
        using var file = File.Create(path);
        file.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static void WriteTruth(string path, IReadOnlyList<Neighbor>[] truth, int k)
    {
        var keys = new long[truth.Length * k];
        Array.Fill(keys, -1L);
        for (int q = 0; q < truth.Length; q++)
            for (int i = 0; i < truth[q].Count; i++) keys[q * k + i] = truth[q][i].Key;
        using var file = File.Create(path);
        file.Write(MemoryMarshal.AsBytes(keys.AsSpan()));
    }
}
