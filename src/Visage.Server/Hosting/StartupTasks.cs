using System.Text;
using Visage.Service;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Server.Hosting;

/// <summary>Runs before Kestrel listens: schema migration, the first admin key, index rebuild from the store.</summary>
public sealed class StartupTasks(IFaceStore store, KeyService keys, IndexManager indexes, FacePipeline pipeline, Readiness readiness,
    MetricsRegistry metrics, InferencePool pool, ServerOptions options, ChangeFollower follower, ILogger<StartupTasks> log) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        readiness.ModelsLoaded = pipeline.Info.EmbeddingSize > 0;
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
        readiness.IndexesLoaded = true;
        long vectors = 0;
        foreach (var (_, s) in indexes.AllStats()) vectors += s.Vectors;
        log.LogInformation("Indexes loaded: {Vectors} vectors in {Ms:F0} ms ({Store} store)", vectors,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, store.Kind);
        metrics.AddGauges(WriteGauges);
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
        sb.Append("# HELP visage_inference_busy Workers analysing an image.\n# TYPE visage_inference_busy gauge\nvisage_inference_busy ").Append(pool.Busy).Append('\n');
        sb.Append("# HELP visage_inference_waiting Requests waiting for a worker.\n# TYPE visage_inference_waiting gauge\nvisage_inference_waiting ").Append(pool.Waiting).Append('\n');
        sb.Append("# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ")
          .Append(Environment.WorkingSet).Append('\n');
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        sb.Append("# HELP process_peak_resident_memory_bytes Peak resident memory since start.\n# TYPE process_peak_resident_memory_bytes gauge\nprocess_peak_resident_memory_bytes ")
          .Append(self.PeakWorkingSet64).Append('\n');
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
