using System.Text;
using Visage.Service;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Server.Hosting;

/// <summary>Runs before Kestrel listens: schema migration, the first admin key, index rebuild from the store.
/// When a server store is unreachable at start (down, restarting, out of connections) the instance starts anyway:
/// /healthz answers, /readyz and the API answer 503, and these steps are retried in the background until the store is
/// back, without a restart. Any other failure (credentials, a missing database, an encryption key mismatch) still stops
/// the start, as before.</summary>
public sealed class StartupTasks(IFaceStore store, KeyService keys, IndexManager indexes, FacePipeline pipeline, Readiness readiness,
    MetricsRegistry metrics, InferencePool pool, ServerOptions options, ChangeFollower follower, IHostApplicationLifetime lifetime,
    ILogger<StartupTasks> log) : IHostedService
{
    /// <summary>How often an instance that found its store unreachable at start tries again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    readonly CancellationTokenSource _stopping = new();
    Task _deferred = Task.CompletedTask;

    public async Task StartAsync(CancellationToken ct)
    {
        readiness.ModelsLoaded = pipeline.Info.EmbeddingSize > 0;
        metrics.AddGauges(WriteGauges);
        try { await PrepareAsync(ct); }
        catch (Exception e) when (IsTransient(e))
        {
            log.LogWarning("The store is unreachable at start ({Reason}); /readyz answers 503 until it is back, retrying every {Seconds} s",
                e.Message, RetryInterval.TotalSeconds);
            _deferred = RetryUntilPreparedAsync(_stopping.Token);
        }
    }

    bool IsTransient(Exception e) => store is Visage.Storage.Postgres.PostgresFaceStore && Visage.Storage.Postgres.PostgresFaceStore.IsTransient(e);

    async Task RetryUntilPreparedAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await Task.Delay(RetryInterval, ct);
                // A load cut short by another outage left part of the vectors in: start again from empty indexes.
                foreach (var (id, _) in indexes.AllStats()) indexes.DropCollection(id);
                await PrepareAsync(ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (IsTransient(e)) { log.LogDebug("The store is still unreachable: {Reason}", e.Message); }
            catch (Exception e)
            {
                log.LogCritical(e, "Start failed once the store was reachable; stopping");
                readiness.StartFailure = e;
                lifetime.StopApplication();
                return;
            }
        }
    }

    async Task PrepareAsync(CancellationToken ct)
    {
        await store.MigrateAsync(ct);
        if (store is Visage.Storage.Sql.SqlFaceStore sql) await sql.CheckEncryptionAsync(ct);
        if (await keys.EnsureAdminKeyAsync(options.AdminKey, ct) is { } generated)
        {
            // Printed once, on stdout only: the key itself is never stored or logged.
            Console.Out.WriteLine();
            Console.Out.WriteLine("Visage: created the first workspace and its admin API key (shown only this once):");
            Console.Out.WriteLine("  " + generated);
            Console.Out.WriteLine();
            Console.Out.Flush();
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await follower.MarkStartAsync(ct);
        await indexes.LoadAllAsync(store, ct);
        readiness.MarkIndexesLoaded();
        long vectors = 0;
        foreach (var (_, s) in indexes.AllStats()) vectors += s.Vectors;
        log.LogInformation("Indexes loaded: {Vectors} vectors in {Ms:F0} ms ({Store} store)", vectors,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, store.Kind);
    }

    void WriteGauges(StringBuilder sb)
    {
        sb.Append("# HELP visage_collection_faces Faces per collection (in the index).\n# TYPE visage_collection_faces gauge\n");
        var stats = indexes.AllStats();
        foreach (var (id, s) in stats) sb.Append("visage_collection_faces{collection=\"").Append(id).Append("\"} ").Append(s.Faces).Append('\n');
        sb.Append("# HELP visage_index_vectors Reference vectors per collection index.\n# TYPE visage_index_vectors gauge\n");
        foreach (var (id, s) in stats) sb.Append("visage_index_vectors{collection=\"").Append(id).Append("\"} ").Append(s.Vectors).Append('\n');
        sb.Append("# HELP visage_index_memory_bytes Bytes held for vectors per collection index.\n# TYPE visage_index_memory_bytes gauge\n");
        foreach (var (id, s) in stats) sb.Append("visage_index_memory_bytes{collection=\"").Append(id).Append("\"} ").Append(s.MemoryBytes).Append('\n');
        sb.Append("# HELP visage_search_batched_queries_total Identify searches served by a shared scan, and those scans.\n# TYPE visage_search_batched_queries_total counter\nvisage_search_batched_queries_total ").Append(indexes.Batching.Queries).Append("\n# TYPE visage_search_batches_total counter\nvisage_search_batches_total ").Append(indexes.Batching.Batches).Append('\n');
        sb.Append("# HELP visage_inference_busy Workers analysing an image.\n# TYPE visage_inference_busy gauge\nvisage_inference_busy ").Append(pool.Busy).Append('\n');
        sb.Append("# HELP visage_inference_waiting Requests waiting for a worker.\n# TYPE visage_inference_waiting gauge\nvisage_inference_waiting ").Append(pool.Waiting).Append('\n');
        // GC figures: with a million-face index in the heap, a full collection is what a slow request would show first.
        sb.Append("# HELP dotnet_gc_collections_total Garbage collections by generation.\n# TYPE dotnet_gc_collections_total counter\n");
        for (int gen = 0; gen <= 2; gen++)
            sb.Append("dotnet_gc_collections_total{generation=\"").Append(gen).Append("\"} ").Append(GC.CollectionCount(gen)).Append('\n');
        sb.Append("# HELP dotnet_gc_pause_seconds_total Time the process was paused for garbage collection.\n# TYPE dotnet_gc_pause_seconds_total counter\ndotnet_gc_pause_seconds_total ")
          .Append(GC.GetTotalPauseDuration().TotalSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("# HELP dotnet_gc_heap_bytes Managed heap size after the last collection.\n# TYPE dotnet_gc_heap_bytes gauge\ndotnet_gc_heap_bytes ")
          .Append(GC.GetGCMemoryInfo().HeapSizeBytes).Append('\n');
        sb.Append("# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ")
          .Append(Environment.WorkingSet).Append('\n');
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        sb.Append("# HELP process_peak_resident_memory_bytes Peak resident memory since start.\n# TYPE process_peak_resident_memory_bytes gauge\nprocess_peak_resident_memory_bytes ")
          .Append(self.PeakWorkingSet64).Append('\n');
    }

    public async Task StopAsync(CancellationToken ct)
    {
        await _stopping.CancelAsync();
        await _deferred.WaitAsync(ct);
    }
}
