using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Visage.Search;
using Visage.Search.Synthetic;

// Search benchmark: builds the exact and the quantised index over seeded synthetic vectors, measures load
// time, latency and throughput on one and two threads, recall against exact search and memory, and writes
// the vectors, queries and exact answers to a work directory for bench/search/faiss_bench.py.
// Usage: Visage.Bench.Search [--quick] [--sizes 100000,1000000] [--queries 200] [--work DIR]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = BenchOptions.Parse(args);
Directory.CreateDirectory(options.Work);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.ProcessArchitecture}, " +
                  $"AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}; dimension {BenchOptions.Dimension}");
var cases = new List<CaseResult>();
foreach (int n in options.Sizes)
    foreach (string shape in new[] { "clustered", "uniform" })
        cases.Add(SearchBench.Run(shape, n, options));
File.WriteAllText(Path.Combine(options.Work, "dotnet.json"), JsonSerializer.Serialize(cases, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {Path.Combine(options.Work, "dotnet.json")}");

internal sealed record BenchOptions(int[] Sizes, int Queries, string Work)
{
    public const int Dimension = 512;
    public const int K = 10;

    public static BenchOptions Parse(string[] args)
    {
        int[] sizes = [100_000, 1_000_000];
        int queries = 200;
        string work = Path.Combine(Path.GetTempPath(), "visage-bench-search");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": sizes = [100_000]; break;
                case "--sizes": sizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--queries": queries = int.Parse(args[++i]); break;
                case "--work": work = args[++i]; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        return new BenchOptions(sizes, queries, work);
    }
}

/// <summary>CpuMsPerQuery is process CPU time over the loop: on a machine shared with other jobs it shows
/// the cost of a query without the time spent waiting for a core.</summary>
internal sealed record Timing(double QueriesPerSecond, double P50Ms, double P95Ms, double CpuMsPerQuery);

internal sealed record CaseResult(string Shape, int Count, int Queries, string DataFile, string QueryFile, string TruthFile,
    double ExactLoadSeconds, long ExactVectorBytes, Timing ExactOneThread,
    double QuantizedLoadSeconds, long QuantizedVectorBytes, long QuantizedRssBytes, int Outliers,
    Timing QuantizedOneThread, double QuantizedTwoThreadsQps, double RecallAt1, double RecallAt10, double MaxSimilarityError);

internal static class SearchBench
{
    public static CaseResult Run(string shape, int n, BenchOptions options)
    {
        const int D = BenchOptions.Dimension, K = BenchOptions.K;
        Console.WriteLine();
        Console.WriteLine($"== {shape}, {n:N0} vectors, {options.Queries} queries, k={K}");
        var clock = Stopwatch.StartNew();
        float[] data = shape == "clustered" ? SyntheticVectors.Clustered(n, D, seed: 1) : SyntheticVectors.Uniform(n, D, seed: 1);
        float[] queries = shape == "clustered"
            ? SyntheticVectors.NoisyCopies(data, D, options.Queries, seed: 2).Queries
            : SyntheticVectors.Uniform(options.Queries, D, seed: 2);
        Console.WriteLine($"generated in {clock.Elapsed.TotalSeconds:F1} s");

        string prefix = Path.Combine(options.Work, $"{shape}-{n}");
        WriteFloats(prefix + ".data.f32", data);
        WriteFloats(prefix + ".queries.f32", queries);

        // Quantised first, while the process holds only the raw data, so its RSS growth is its own.
        long rssBefore = Rss();
        var quantized = new QuantizedIndex(D);
        double quantizedLoad = Load(quantized, data, n);
        long rssAfter = Rss();
        long quantizedRss = rssAfter - rssBefore;
        long quantizedBytes = quantized.MemoryBytes;
        Console.WriteLine($"quantized: load {quantizedLoad:F2} s, vector bytes {quantizedBytes / 1e6:F0} MB ({(double)quantizedBytes / n:F0} B/vector), " +
                          $"RSS {rssBefore / 1e6:F0} → {rssAfter / 1e6:F0} MB (the raw test vectors alone are {data.Length * 4L / 1e6:F0} MB), outliers kept float32 {quantized.OutlierCount}");
        var quantizedAnswers = new IReadOnlyList<Neighbor>[options.Queries];
        Timing quantizedOne = TimeOneThread(quantized, queries, options.Queries, quantizedAnswers);
        double quantizedTwo = TimeThreads(quantized, queries, options.Queries, threads: 2);
        Console.WriteLine($"quantized: 1 thread {quantizedOne.QueriesPerSecond:F1} q/s, p50 {quantizedOne.P50Ms:F2} ms, p95 {quantizedOne.P95Ms:F2} ms, CPU {quantizedOne.CpuMsPerQuery:F2} ms/query; 2 threads {quantizedTwo:F1} q/s");

        int outliers = quantized.OutlierCount;
        quantized.Dispose();
        GC.Collect();

        var exact = new ExactIndex(D);
        double exactLoad = Load(exact, data, n);
        long exactBytes = exact.MemoryBytes;
        // Exact answers for every query on both cores (they are the ground truth); the one-thread timing
        // uses a subset because a 1M exact scan costs a few hundred ms.
        var truth = new IReadOnlyList<Neighbor>[options.Queries];
        Parallel.For(0, options.Queries, new ParallelOptions { MaxDegreeOfParallelism = 2 },
            q => truth[q] = exact.Search(queries.AsSpan(q * D, D), K));
        int timed = Math.Max(10, Math.Min(options.Queries, 20_000_000 / n));
        Timing exactOne = TimeOneThread(exact, queries, timed, null);
        Console.WriteLine($"exact: load {exactLoad:F2} s, vector bytes {exactBytes / 1e6:F0} MB; 1 thread {exactOne.QueriesPerSecond:F1} q/s, p50 {exactOne.P50Ms:F1} ms, p95 {exactOne.P95Ms:F1} ms, CPU {exactOne.CpuMsPerQuery:F1} ms/query ({timed} queries)");
        exact.Dispose();

        var (at1, at10, maxError) = Recall(truth, quantizedAnswers);
        Console.WriteLine($"quantized vs exact: recall@1 {at1:F4}, recall@10 {at10:F4}, max |Δsimilarity| {maxError:E1}");
        WriteTruth(prefix + ".truth.i64", truth, K);
        return new CaseResult(shape, n, options.Queries, prefix + ".data.f32", prefix + ".queries.f32", prefix + ".truth.i64",
            exactLoad, exactBytes, exactOne, quantizedLoad, quantizedBytes, quantizedRss, outliers,
            quantizedOne, quantizedTwo, at1, at10, maxError);
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

    private static (double At1, double At10, double MaxError) Recall(IReadOnlyList<Neighbor>[] truth, IReadOnlyList<Neighbor>[] found)
    {
        int hits1 = 0, hits10 = 0, wanted10 = 0;
        double maxError = 0;
        for (int q = 0; q < truth.Length; q++)
        {
            if (found[q].Count > 0 && found[q][0].Key == truth[q][0].Key) hits1++;
            var exact = truth[q].ToDictionary(n => n.Key, n => n.Similarity);
            wanted10 += truth[q].Count;
            foreach (var n in found[q])
            {
                if (!exact.TryGetValue(n.Key, out float s)) continue;
                hits10++;
                maxError = Math.Max(maxError, Math.Abs(s - n.Similarity));
            }
        }
        return ((double)hits1 / truth.Length, (double)hits10 / wanted10, maxError);
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
