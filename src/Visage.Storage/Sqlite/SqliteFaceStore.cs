using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Visage.Storage.Sql;

namespace Visage.Storage.Sqlite;

/// <summary>The embedded store: one file <c>visage.db</c> in the data directory, WAL so readers run beside the
/// single writer, writes serialised in-process (a gate instead of SQLite's busy-retry sleeps), secure_delete so
/// deleted biometric data is overwritten, and a WAL checkpoint after every delete so it does not linger there.</summary>
public sealed partial class SqliteFaceStore : SqlFaceStore
{
    public const string FileName = "visage.db";
    static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan CheckpointWait = TimeSpan.FromMilliseconds(200);

    readonly string connectionString;
    readonly SemaphoreSlim writeGate = new(1, 1);
    readonly TimeSpan pollInterval;
    volatile bool scrubPending;

    public string DatabasePath { get; }
    public override string Kind => "sqlite";
    protected override string BlobType => "BLOB";
    protected override string AutoKeyType => "INTEGER PRIMARY KEY AUTOINCREMENT";

    /// <param name="dataDirectory">Created when missing.</param>
    /// <param name="changePollInterval">How often <see cref="ListenAsync"/> looks for changes written by another
    /// process on the same file (default 1 s).</param>
    public SqliteFaceStore(string dataDirectory, TimeSpan? changePollInterval = null)
    {
        pollInterval = changePollInterval ?? TimeSpan.FromSeconds(1);
        string dir = Path.GetFullPath(dataDirectory);
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"cannot create the data directory '{dir}': {e.Message}", e);
        }
        DatabasePath = Path.Combine(dir, FileName);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
        try
        {
            using var connection = Open();
            // A reference row is ~2.1 KB (the 2 KB embedding): a 4 KB page holds one, half empty, so a million faces
            // took 4.6 GB and the start-up load read twice the bytes it needs. 16 KB pages hold seven (92% full).
            // Only a new, empty file takes it: the page size of an existing database is fixed (VACUUM changes it).
            Execute(connection, "PRAGMA page_size = 16384");
            // WAL is a property of the file (persists), the rest are per connection (see Open).
            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA synchronous = NORMAL");
        }
        catch (SqliteException e)
        {
            throw Translate(e) ?? new StoreUnavailableException($"cannot open the SQLite database '{DatabasePath}': {e.Message}", e);
        }
    }

    SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, $"PRAGMA secure_delete = ON; PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}");
        return connection;
    }

    static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // Opening a pooled SQLite connection is synchronous work of microseconds; there is no I/O to await.
    protected override ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) => ValueTask.FromResult<DbConnection>(Open());

    protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await writeGate.WaitAsync(ct);
        try
        {
            var result = await base.WriteAsync(work, ct);
            // A scrub that a reader blocked is retried without waiting at each later write, until it completes.
            if (scrubPending) TryScrubWal(TimeSpan.Zero);
            return result;
        }
        finally { writeGate.Release(); }
    }

    protected override async Task AfterDeleteAsync(CancellationToken ct)
    {
        await writeGate.WaitAsync(ct);
        try { TryScrubWal(CheckpointWait); }
        finally { writeGate.Release(); }
    }

    /// <summary>secure_delete zeroes the pages in the database, but earlier page images stay in the WAL until it
    /// is checkpointed and truncated. TRUNCATE waits for readers on older snapshots (an index load streaming a
    /// large collection can take a minute), so it waits briefly only and leaves the scrub pending when blocked.
    /// Call with the write gate held.</summary>
    void TryScrubWal(TimeSpan wait)
    {
        try
        {
            using var connection = Open();
            Execute(connection, $"PRAGMA busy_timeout = {(int)wait.TotalMilliseconds}");
            try
            {
                using var cmd = connection.CreateCommand();
                cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                using var reader = cmd.ExecuteReader();
                scrubPending = !reader.Read() || reader.GetInt32(0) != 0;   // first column: 1 when blocked
            }
            finally { Execute(connection, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}"); }
        }
        catch (SqliteException e) when (Translate(e) is { } typed) { throw typed; }
    }

    /// <summary>True while deleted page images may remain in the WAL because a reader blocked the checkpoint.</summary>
    public bool ScrubPending => scrubPending;

    /// <summary>Checkpoints the WAL into the database file and truncates it (tests, backups).</summary>
    public Task CheckpointAsync(CancellationToken ct = default) => AfterDeleteAsync(ct);

    protected override StoreException? Translate(Exception e)
    {
        if (e is StoreException) return null;
        if (e is not SqliteException s) return null;
        return s.SqliteErrorCode switch
        {
            19 when s.SqliteExtendedErrorCode == 787 =>
                new StoreNotFoundException("the parent row (workspace, collection or face) does not exist", e),
            19 when s.SqliteExtendedErrorCode is 1555 or 2067 => new StoreConflictException("a row with that id already exists", e),
            8 => new StoreUnavailableException($"the SQLite database '{DatabasePath}' is read-only: check the data directory's permissions", e),
            13 => new StoreUnavailableException($"the disk holding '{DatabasePath}' is full", e),
            14 => new StoreUnavailableException($"cannot open the SQLite database '{DatabasePath}': check the data directory exists and is writable", e),
            5 or 6 => new StoreUnavailableException($"the SQLite database '{DatabasePath}' stayed locked by another process for {BusyTimeout.TotalSeconds} s", e),
            10 => new StoreUnavailableException($"I/O error on the SQLite database '{DatabasePath}': {s.Message}", e),
            11 or 26 => new StoreUnavailableException($"'{DatabasePath}' is not a healthy SQLite database: {s.Message}", e),
            _ => null,
        };
    }

    /// <summary>SQLite has no server to push notifications: poll the change log, which also sees writes by
    /// other processes sharing the file.</summary>
    public override async IAsyncEnumerable<long> ListenAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        long last = await GetLatestChangeSeqAsync(ct);
        using var timer = new PeriodicTimer(pollInterval);
        while (await timer.WaitForNextTickAsync(ct))
        {
            long latest = await GetLatestChangeSeqAsync(ct);
            if (latest == last) continue;
            last = latest;
            yield return latest;
        }
    }

    public override ValueTask DisposeAsync()
    {
        // Close pooled handles so the file is released (and the WAL merged) when the store goes.
        using (var connection = new SqliteConnection(connectionString)) SqliteConnection.ClearPool(connection);
        writeGate.Dispose();
        return ValueTask.CompletedTask;
    }
}
