using System.Data.Common;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Npgsql;
using Visage.Storage.Sql;

namespace Visage.Storage.Postgres;

/// <summary>The shared store: several Visage instances on one PostgreSQL database. Migrations run under an
/// advisory lock; every committed change sends <c>NOTIFY visage_changes, '&lt;seq&gt;'</c> so the other
/// instances' indexes follow at once (<see cref="ListenAsync"/>).</summary>
public sealed class PostgresFaceStore : SqlFaceStore, IChangeNotifications
{
    public const string Channel = "visage_changes";
    // Arbitrary constants naming the two advisory locks ("VISAGE" + 1 and + 2).
    const long MigrationLock = 0x56495341_47450001;
    const long ChangeLogLock = 0x56495341_47450002;

    readonly NpgsqlDataSource dataSource;
    readonly string where;   // host:port/database for messages, never the password

    public override string Kind => "postgres";
    protected override string BlobType => "BYTEA";
    protected override string AutoKeyType => "BIGSERIAL PRIMARY KEY";
    protected override string ForUpdate => " FOR UPDATE";

    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    int listening;   // listeners whose LISTEN connection is up

    /// <summary>True while at least one <see cref="ListenAsync"/> has its LISTEN connection up.</summary>
    public bool IsListening => Volatile.Read(ref listening) > 0;

    /// <summary>True for a failure that ends when the server is back (not reachable, shutting down, starting up,
    /// out of connection slots); false for one an operator must fix (credentials, a missing database).</summary>
    public static bool IsTransient(Exception e) => (e is StoreUnavailableException ? e.InnerException : e) switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException or SocketException or TimeoutException or IOException => true,
        _ => false,
    };

    public PostgresFaceStore(string connectionString)
    {
        NpgsqlConnectionStringBuilder csb;
        try { csb = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException e) { throw new StoreUnavailableException($"invalid PostgreSQL connection string: {e.Message}", e); }
        where = $"{csb.Host}:{csb.Port}/{csb.Database}";
        // The store issues the same few statements over and over: let Npgsql prepare them server-side.
        if (csb.MaxAutoPrepare == 0) csb.MaxAutoPrepare = 64;
        dataSource = NpgsqlDataSource.Create(csb);
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await dataSource.OpenConnectionAsync(ct);

    protected override Task LockForMigrationAsync(DbConnection c, DbTransaction tx, CancellationToken ct) =>
        Db.ExecuteAsync(c, tx, "SELECT pg_advisory_xact_lock(@l)", ct, ("l", MigrationLock));

    // BIGSERIAL numbers are handed out at insert, not at commit: without the lock a follower reading
    // "seq > last" could pass over a smaller seq that commits later. Taken before the row (and its seq) is
    // made and held to commit, it makes seq order commit order. pg_notify inside the transaction is
    // delivered on commit, never for a rollback. One statement: one round trip per change.
    protected override string InsertChangeSql { get; } =
        "WITH c AS (INSERT INTO changes(kind, collection_id, face_id, ref_key, changed_at) " +
        $"SELECT @k::text, @c::text, @f::text, @r::bigint, @at::bigint FROM (SELECT pg_advisory_xact_lock({ChangeLogLock})) AS l RETURNING seq) " +
        $"SELECT seq, pg_notify('{Channel}', seq::text) FROM c";

    protected override StoreException? Translate(Exception e) => e switch
    {
        StoreException => null,
        PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } =>
            new StoreNotFoundException("the parent row (workspace, collection or face) does not exist", e),
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => new StoreConflictException("a row with that id already exists", e),
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } =>
            new StoreUnavailableException($"the PostgreSQL database at {where} does not exist: create it first", e),
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } =>
            new StoreUnavailableException($"PostgreSQL at {where} refused the credentials: {((PostgresException)e).MessageText}", e),
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
            or PostgresErrorCodes.DiskFull or PostgresErrorCodes.ReadOnlySqlTransaction } =>
            new StoreUnavailableException($"PostgreSQL at {where} is unavailable: {((PostgresException)e).MessageText}", e),
        PostgresException => null,
        NpgsqlException or SocketException or TimeoutException =>
            new StoreUnavailableException($"cannot reach PostgreSQL at {where}: {e.Message}", e),
        _ => null,
    };

    /// <summary>LISTENs on a dedicated connection (not from the pool: it must stay open between commands) and
    /// reconnects after a failure, then yields the latest seq so notifications missed meanwhile are caught up.</summary>
    public override async IAsyncEnumerable<long> ListenAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var wakeups = System.Threading.Channels.Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pump = PumpNotificationsAsync(wakeups.Writer, stop.Token);
        try
        {
            await foreach (long seq in wakeups.Reader.ReadAllAsync(ct)) yield return seq;
        }
        finally
        {
            stop.Cancel();
            try { await pump; } catch (OperationCanceledException) { }
        }
    }

    async Task PumpNotificationsAsync(ChannelWriter<long> writer, CancellationToken ct)
    {
        bool reconnecting = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = dataSource.CreateConnection();
                connection.Notification += (_, n) => { if (long.TryParse(n.Payload, out long seq)) writer.TryWrite(seq); };
                await connection.OpenAsync(ct);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(ct);
                if (reconnecting) writer.TryWrite(await GetLatestChangeSeqAsync(ct));
                reconnecting = false;
                Interlocked.Increment(ref listening);
                try { while (true) await connection.WaitAsync(ct); }
                finally { Interlocked.Decrement(ref listening); }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or StoreException or IOException)
            {
                reconnecting = true;
                try { await Task.Delay(ReconnectDelay, ct); } catch (OperationCanceledException) { break; }
            }
        }
        writer.TryComplete();
    }

    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
