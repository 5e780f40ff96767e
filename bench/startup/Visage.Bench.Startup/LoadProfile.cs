using System.Diagnostics;
using Visage.Search;
using Visage.Service;
using Visage.Storage;

namespace Visage.Bench.Startup;

/// <summary>The start-up load in this process, phase by phase, on an already filled store: the store's stream alone,
/// then IndexManager.LoadAllAsync as the service runs it. Wall and CPU time, GC counts, bytes allocated, and the managed
/// heap the loaded indexes keep (after a full collection) next to the bytes the index reports for its vectors.</summary>
static class LoadProfile
{
    /// <summary>"postgres:N": a throw-away server filled with N faces, profiled with Npgsql's default read buffer and a
    /// larger one (extra connection-string settings to compare: VISAGE_PROFILE_PG_EXTRA, default "Read Buffer Size=65536").</summary>
    public static async Task RunPostgresAsync(int count)
    {
        var server = new Visage.Testing.Postgres.PostgresServer();
        await server.InitializeAsync();
        try
        {
            string cs = await server.CreateDatabaseAsync();
            await using (var store = new Visage.Storage.Postgres.PostgresFaceStore(cs))
            {
                await store.MigrateAsync();
                var now = DateTimeOffset.UtcNow;
                var ws = new WorkspaceRecord(Ids.New("ws"), "bench", now);
                await store.CreateWorkspaceAsync(ws);
                var col = new CollectionRecord(Ids.New("col"), ws.Id, "bench", null, "{}", "bench@1", now, now);
                await store.CreateCollectionAsync(col);
                var fill = await StoreFill.PostgresAsync(cs, col.Id, count);
                Console.WriteLine($"postgres: filled {count:N0} in {fill.TotalSeconds:F0} s");
            }
            string extra = Environment.GetEnvironmentVariable("VISAGE_PROFILE_PG_EXTRA") ?? "Read Buffer Size=65536";
            foreach (var variant in (string[])[cs, cs + ";" + extra, cs])
            {
                Console.WriteLine($"-- {variant[(variant.IndexOf("Database=", StringComparison.Ordinal) + 49)..]}");
                await RunAsync(variant);
            }
        }
        finally { await server.DisposeAsync(); }
    }

    public static async Task RunAsync(string storeArg)
    {
        await using var store = FaceStoreFactory.Open(storeArg.Contains("Host=") ? null : storeArg, storeArg.Contains("Host=") ? storeArg : null);
        var collections = await store.ListAllCollectionsAsync();
        await Phase("stream only", async () =>
        {
            long rows = 0; double sum = 0;
            foreach (var c in collections)
                await foreach (var v in store.StreamVectorsAsync(c.Id)) { rows++; sum += v.Embedding[0]; }
            return $"{rows:N0} refs";
        });
        if (Environment.GetEnvironmentVariable("VISAGE_PROFILE_PARTS") == "1")
        {
            foreach (int batchSize in (int[])[4096, 256])
                await Phase($"stream + index AddRange, batches of {batchSize}", async () =>
                {
                    using var index = VectorIndexFactory.Create(512);
                    var batch = new List<(long, float[])>(batchSize);
                    foreach (var c in collections)
                        await foreach (var v in store.StreamVectorsAsync(c.Id))
                        {
                            batch.Add((v.Key, v.Embedding));
                            if (batch.Count == batchSize) { index.AddRange(batch); batch.Clear(); }
                        }
                    index.AddRange(batch);
                    return $"{index.Count:N0} vectors";
                });
            object? keep = null;
            await Phase("stream + owner dictionaries only", async () =>
            {
                var owners = new Dictionary<long, (string, string)>();
                var perFace = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var c in collections)
                    await foreach (var v in store.StreamVectorsAsync(c.Id))
                        if (owners.TryAdd(v.Key, (v.FaceId, v.ExternalId))) perFace[v.FaceId] = perFace.GetValueOrDefault(v.FaceId) + 1;
                keep = (owners, perFace);
                return $"{owners.Count:N0} owners, {perFace.Count:N0} faces";
            });
            GC.KeepAlive(keep);
            keep = null;
        }
        IndexManager? indexes = null;
        await Phase("IndexManager.LoadAllAsync", async () =>
        {
            indexes = new IndexManager(dim => VectorIndexFactory.Create(dim), 512);
            await indexes.LoadAllAsync(store, CancellationToken.None);
            long bytes = 0; int vectors = 0;
            foreach (var (_, s) in indexes.AllStats()) { bytes += s.MemoryBytes; vectors += s.Vectors; }
            return $"{vectors:N0} vectors, index vector bytes {bytes / 1048576.0:F0} MB";
        });
        GC.KeepAlive(indexes);
    }

    static async Task Phase(string name, Func<Task<string>> body)
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        long heap = GC.GetTotalMemory(true), allocated = GC.GetTotalAllocatedBytes(true);
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        string what = await body();
        watch.Stop();
        var usedCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var gcPause = GC.GetTotalPauseDuration() - pause;
        int c0 = GC.CollectionCount(0) - g0, c1 = GC.CollectionCount(1) - g1, c2 = GC.CollectionCount(2) - g2;
        double alloc = (GC.GetTotalAllocatedBytes(true) - allocated) / 1048576.0;
        double kept = (GC.GetTotalMemory(true) - heap) / 1048576.0;
        Console.WriteLine($"{name}: {what}; {watch.Elapsed.TotalSeconds:F2} s wall, {usedCpu.TotalSeconds:F2} s CPU, GC pause {gcPause.TotalSeconds:F2} s " +
                          $"(gen0 {c0}, gen1 {c1}, gen2 {c2}), allocated {alloc:F0} MB, managed heap kept {kept:F0} MB; load average {File.ReadAllText("/proc/loadavg")[..14]}");
    }
}
