using Visage.Cli.Commands;
using Visage.Engine;
using Visage.Search;
using Visage.Service;
using Visage.Service.Observability;
using Visage.Storage;
using Visage.Storage.Sqlite;

namespace Visage.Cli.Operations;

/// <summary>The service layer in-process over a store, for the commands that work while the service is stopped
/// (direct import, restore, re-embed): the same enrol rules, quality gate and liveness as over HTTP.</summary>
public sealed class LocalService : IAsyncDisposable
{
    LocalService(IFaceStore store, IFaceEngine engine, Caller caller, int workers)
    {
        Store = store;
        Engine = engine;
        Caller = caller;
        var clock = TimeProvider.System;
        var metrics = new MetricsRegistry();
        var inference = new InferenceOptions { Workers = workers, QueueCapacity = 1024 };
        Pool = new InferencePool(engine, inference);
        Pipeline = new FacePipeline(Pool, new ModelThresholds(), metrics);
        Indexes = new IndexManager(dim => VectorIndexFactory.Create(dim), engine.Info.EmbeddingSize);
        Collections = new CollectionService(store, Indexes, Pipeline, clock);
        Faces = new FaceService(store, Indexes, Pipeline, Collections, inference, clock);
        Search = new SearchService(store, Indexes, Pipeline, Collections, Faces, metrics, clock);
    }

    public IFaceStore Store { get; }
    public IFaceEngine Engine { get; }
    /// <summary>An all-scopes caller in the chosen workspace: whoever can open the store is its operator.</summary>
    public Caller Caller { get; }
    public InferencePool Pool { get; }
    public FacePipeline Pipeline { get; }
    public IndexManager Indexes { get; }
    public CollectionService Collections { get; }
    public FaceService Faces { get; }
    public SearchService Search { get; }

    /// <summary>Opens and migrates the store, refuses a SQLite store that a running service holds open, and picks the
    /// workspace (<paramref name="workspaceId"/>, else the default one). A store without any key gets its first admin
    /// key here, printed once to <paramref name="output"/>, so that a later <c>visage serve</c> uses the same workspace.</summary>
    public static async Task<LocalService> OpenAsync(string? dataDirectory, string? connectionString, string? workspaceId,
        IFaceEngine engine, TextWriter output, int workers = 2, bool loadIndexes = false, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            ServiceGuard.RefuseIfOpenElsewhere(Path.Combine(Path.GetFullPath(dataDirectory ?? FaceStoreFactory.DefaultDataDirectory), SqliteFaceStore.FileName));
        var store = await FaceStoreFactory.OpenAndMigrateAsync(dataDirectory, connectionString, ct);
        try
        {
            var keys = new KeyService(store, TimeProvider.System);
            if (await keys.EnsureAdminKeyAsync(null, ct) is { } generated)
                await output.WriteLineAsync($"created the store's first workspace and admin API key (shown only this once): {generated}");
            var ws = workspaceId is { Length: > 0 } w
                ? (await store.GetWorkspaceAsync(w, ct) ?? throw new UsageException($"workspace '{w}' does not exist")).Id
                : await keys.DefaultWorkspaceAsync(ct);
            var local = new LocalService(store, engine, new Caller(ws, "key_cli", Scopes.All), workers);
            if (loadIndexes) await local.Indexes.LoadAllAsync(store, ct);
            return local;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>A collection of this workspace by id, or by name when exactly one has it.</summary>
    public async Task<CollectionRecord?> FindCollectionAsync(string idOrName, CancellationToken ct)
    {
        if (Ids.IsValid(idOrName, "col")) return await Store.GetCollectionAsync(Caller.WorkspaceId, idOrName, ct);
        CollectionRecord? found = null;
        for (int page = 1; ; page++)
        {
            var result = await Store.ListCollectionsAsync(Caller.WorkspaceId, page, 200, ct);
            foreach (var c in result.Items)
                if (c.Name == idOrName)
                    found = found is null ? c : throw new UsageException($"several collections are named '{idOrName}': give its id");
            if (page >= result.TotalPages) return found;
        }
    }

    public async Task<CollectionRecord> RequireCollectionAsync(string idOrName, CancellationToken ct) =>
        await FindCollectionAsync(idOrName, ct) ?? throw new UsageException($"collection '{idOrName}' not found in workspace {Caller.WorkspaceId}");

    public async ValueTask DisposeAsync()
    {
        Indexes.Dispose();
        Pool.Dispose();
        await Store.DisposeAsync();
    }
}

/// <summary>Direct writes behind a running service's back would never reach its in-memory index, so the store must
/// not be open in another process. On Linux the open files of every readable process are visible under /proc.</summary>
public static class ServiceGuard
{
    public static void RefuseIfOpenElsewhere(string databaseFile)
    {
        if (!File.Exists(databaseFile) || !Directory.Exists("/proc")) return;
        var target = Path.GetFullPath(databaseFile);
        int self = Environment.ProcessId;
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == self) continue;
            IEnumerable<string> fds;
            try { fds = Directory.GetFiles(Path.Combine(proc, "fd")); }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException) { continue; }
            foreach (var fd in fds)
            {
                string? link;
                try { link = new FileInfo(fd).LinkTarget; }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException) { continue; }
                if (link == target)
                    throw new UsageException($"{target} is open in process {pid} (a running `visage serve`?): stop it first (an import can instead go through it with --url)");
            }
        }
    }
}
