using System.Diagnostics;
using Npgsql;
using Visage.Storage;
using Visage.Storage.Postgres;
using Visage.Testing.Postgres;
using Xunit;

namespace Visage.Storage.Tests;

[CollectionDefinition(PostgresServer.Collection)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;

[Collection(PostgresServer.Collection)]
public sealed class PostgresFaceStoreTests(PostgresServer server) : FaceStoreContractTests
{
    string connectionString = "";

    protected override async Task CreateDatabaseAsync() => connectionString = await server.CreateDatabaseAsync();
    protected override IFaceStore CreateStore() => new PostgresFaceStore(connectionString);

    [Fact]
    public async Task Notify_wakes_a_listener_on_another_store_within_one_second()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await Store.CreateCollectionAsync(col);
        await using var follower = new PostgresFaceStore(connectionString);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var wakeups = follower.ListenAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var first = wakeups.MoveNextAsync().AsTask();
        await WaitUntilListeningAsync();

        var face = Samples.Face(col.Id);
        var watch = Stopwatch.StartNew();
        long key = await Store.InsertFaceAsync(face, Samples.Reference(face));
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(1)));
        watch.Stop();

        long seq = wakeups.Current;
        Assert.Equal(await Store.GetLatestChangeSeqAsync(), seq);
        var changes = await follower.GetChangesSinceAsync(seq - 1, 10);
        Assert.Equal(key, Assert.Single(changes).ReferenceKey);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"woke after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_rolled_back_write_sends_no_notification()
    {
        await using var follower = new PostgresFaceStore(connectionString);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var wakeups = follower.ListenAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var first = wakeups.MoveNextAsync().AsTask();
        await WaitUntilListeningAsync();

        var ghost = Samples.Face("col_missing");
        await Assert.ThrowsAsync<StoreNotFoundException>(() => Store.AddReferenceAsync(Samples.Reference(ghost, ReferenceSource.Auto), 3));
        await Assert.ThrowsAsync<StoreNotFoundException>(() => Store.InsertFaceAsync(ghost, Samples.Reference(ghost)));

        await Task.Delay(500);
        Assert.False(first.IsCompleted);
        Assert.Equal(0, await Store.GetLatestChangeSeqAsync());
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
    }

    [Fact]
    public async Task Listener_reconnects_and_catches_up_after_its_connection_is_killed()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await Store.CreateCollectionAsync(col);
        await using var follower = new PostgresFaceStore(connectionString) { ReconnectDelay = TimeSpan.FromMilliseconds(100) };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var wakeups = follower.ListenAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var first = wakeups.MoveNextAsync().AsTask();
        await WaitUntilListeningAsync();

        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = @db", admin);
            kill.Parameters.AddWithValue("db", new NpgsqlConnectionStringBuilder(connectionString).Database!);
            await kill.ExecuteNonQueryAsync();
        }
        // Written while the listener is down: only the catch-up after reconnecting can report it.
        var face = Samples.Face(col.Id);
        await Store.InsertFaceAsync(face, Samples.Reference(face));

        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(await Store.GetLatestChangeSeqAsync(), wakeups.Current);
    }

    [Fact]
    public async Task Several_instances_migrating_at_once_do_not_race()
    {
        string fresh = await server.CreateDatabaseAsync();
        var stores = Enumerable.Range(0, 6).Select(_ => new PostgresFaceStore(fresh)).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync())));
            Assert.All(await Task.WhenAll(stores.Select(s => s.GetSchemaVersionAsync())),
                v => Assert.Equal(Sql.SqlFaceStore.LatestSchemaVersion, v));
            await using var c = new NpgsqlConnection(fresh);
            await c.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM schema_version", c);
            Assert.Equal((long)Sql.SqlFaceStore.LatestSchemaVersion, (long)(await count.ExecuteScalarAsync())!);
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unreachable_server_is_a_typed_unavailable_error_naming_the_address()
    {
        await using var store = FaceStoreFactory.Open(null, "Host=127.0.0.1;Port=1;Database=nowhere;Username=x;Password=secret;Timeout=2");
        Assert.Equal("postgres", store.Kind);
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync());
        Assert.Contains("127.0.0.1:1/nowhere", e.Message);
        Assert.DoesNotContain("secret", e.Message);
        Assert.False(await store.PingAsync());
    }

    [Fact]
    public async Task Missing_database_is_a_typed_unavailable_error()
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { Database = "does_not_exist" };
        await using var store = new PostgresFaceStore(csb.ConnectionString);
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.MigrateAsync());
        Assert.Contains("does not exist", e.Message);
    }

    /// <summary>LISTEN is asynchronous to the enumerator: wait until the server shows the session listening.</summary>
    async Task WaitUntilListeningAsync()
    {
        string db = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var admin = new NpgsqlConnection(server.AdminConnectionString);
        await admin.OpenAsync();
        for (int i = 0; i < 100; i++)
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = @db AND query LIKE 'LISTEN%'", admin);
            cmd.Parameters.AddWithValue("db", db);
            if ((long)(await cmd.ExecuteScalarAsync())! > 0) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the listener never issued LISTEN");
    }
}
