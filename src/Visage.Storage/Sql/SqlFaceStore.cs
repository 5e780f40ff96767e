using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;

namespace Visage.Storage.Sql;

/// <summary>The behaviour of the store, written once: SQLite and PostgreSQL speak the same SQL here (@named
/// parameters, RETURNING, ON CONFLICT, LIMIT/OFFSET). Subclasses supply connections, the few DDL types that
/// differ, write locking, change notification and the translation of provider errors to typed ones.</summary>
public abstract partial class SqlFaceStore : IFaceStore, IChangeNotifications
{
    public abstract string Kind { get; }
    /// <summary>The schema version this build migrates to.</summary>
    public static int LatestSchemaVersion => Schema.LatestVersion;

    protected abstract string BlobType { get; }
    protected abstract string AutoKeyType { get; }
    /// <summary>Appended to a SELECT that must lock the row until commit (PostgreSQL); SQLite writes are serialised anyway.</summary>
    protected virtual string ForUpdate => "";

    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);
    /// <summary>Starts a write transaction; SQLite takes the write lock up front (BEGIN IMMEDIATE).</summary>
    protected virtual async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(ct);
    /// <summary>Runs first inside the migration transaction, so concurrent starts do not race.</summary>
    protected virtual Task LockForMigrationAsync(DbConnection c, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;
    /// <summary>Appends one change row and returns its sequence number. PostgreSQL overrides it to order
    /// sequence numbers by commit and to NOTIFY listeners.</summary>
    protected virtual string InsertChangeSql =>
        "INSERT INTO changes(kind, collection_id, face_id, ref_key, changed_at) VALUES (@k, @c, @f, @r, @at) RETURNING seq";
    /// <summary>Runs after a delete committed (SQLite: checkpoint so deleted pages leave the WAL).</summary>
    protected virtual Task AfterDeleteAsync(CancellationToken ct) => Task.CompletedTask;
    /// <summary>Maps a provider exception to a typed <see cref="StoreException"/>, or null to let it pass.</summary>
    protected abstract StoreException? Translate(Exception e);

    public abstract IAsyncEnumerable<long> ListenAsync(CancellationToken ct = default);
    public abstract ValueTask DisposeAsync();

    // ---- plumbing --------------------------------------------------------------------------------

    protected async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct, bool keepOpen = false)
    {
        DbConnection? connection = null;
        try
        {
            connection = await OpenConnectionAsync(ct);
            return await work(connection);
        }
        catch (Exception e) when (Translate(e) is { } typed) { keepOpen = false; throw typed; }
        catch { keepOpen = false; throw; }
        finally
        {
            if (!keepOpen && connection is not null) await connection.DisposeAsync();
        }
    }

    protected virtual async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var tx = await BeginWriteAsync(connection, ct);
            var result = await work(connection, tx);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (Exception e) when (Translate(e) is { } typed) { throw typed; }
    }

    Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken ct) =>
        WriteAsync<bool>(async (c, tx) => { await work(c, tx); return true; }, ct);

    Task<long> AppendChangeAsync(DbConnection c, DbTransaction tx, ChangeKind kind, string collectionId, string? faceId,
        long? referenceKey, CancellationToken ct) =>
        Db.ScalarLongAsync(c, tx, InsertChangeSql, ct, ("k", KindName(kind)), ("c", collectionId), ("f", faceId),
            ("r", referenceKey), ("at", DateTimeOffset.UtcNow.UtcTicks));

    static void CheckPage(int page, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
    }

    static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.ReferenceAdded => "reference_added",
        ChangeKind.ReferenceRemoved => "reference_removed",
        ChangeKind.FaceUpdated => "face_updated",
        ChangeKind.FaceDeleted => "face_deleted",
        ChangeKind.CollectionDeleted => "collection_deleted",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    static ChangeKind ParseKind(string name) => name switch
    {
        "reference_added" => ChangeKind.ReferenceAdded,
        "reference_removed" => ChangeKind.ReferenceRemoved,
        "face_updated" => ChangeKind.FaceUpdated,
        "face_deleted" => ChangeKind.FaceDeleted,
        "collection_deleted" => ChangeKind.CollectionDeleted,
        _ => throw new InvalidDataException($"unknown change kind '{name}'"),
    };

    static string SourceName(ReferenceSource s) => s == ReferenceSource.Enroll ? "enroll" : "auto";
    static ReferenceSource ParseSource(string s) => s == "enroll" ? ReferenceSource.Enroll : ReferenceSource.Auto;

    // ---- schema ----------------------------------------------------------------------------------

    public Task MigrateAsync(CancellationToken ct = default) => WriteAsync(async (c, tx) =>
    {
        await LockForMigrationAsync(c, tx, ct);
        await Db.ExecuteAsync(c, tx,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", ct);
        long current = await Db.ScalarLongAsync(c, tx, "SELECT MAX(version) FROM schema_version", ct);
        if (current > Schema.LatestVersion)
            throw new StoreUnavailableException(
                $"the database schema is version {current}, newer than this build knows ({Schema.LatestVersion}): upgrade Visage");
        for (int version = (int)current + 1; version <= Schema.LatestVersion; version++)
        {
            await Db.ExecuteAsync(c, tx, Schema.Render(Schema.Migrations[version - 1], BlobType, AutoKeyType), ct);
            await Db.ExecuteAsync(c, tx, "INSERT INTO schema_version(version, applied_at) VALUES (@v, @at)", ct,
                ("v", version), ("at", DateTimeOffset.UtcNow.UtcTicks));
        }
    }, ct);

    /// <summary>The schema version the database is at (0 before the first migration).</summary>
    public Task<int> GetSchemaVersionAsync(CancellationToken ct = default) => ReadAsync(async c =>
    {
        try { return (int)await Db.ScalarLongAsync(c, null, "SELECT MAX(version) FROM schema_version", ct); }
        catch (DbException) { return 0; }
    }, ct);

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try { return await ReadAsync(async c => await Db.ScalarLongAsync(c, null, "SELECT 1", ct) == 1, ct); }
        catch (Exception e) when (e is StoreException or DbException or IOException or TimeoutException) { return false; }
    }

    // ---- workspaces and keys -----------------------------------------------------------------------

    public Task CreateWorkspaceAsync(WorkspaceRecord w, CancellationToken ct = default) => WriteAsync((c, tx) =>
        Db.ExecuteAsync(c, tx, "INSERT INTO workspaces(id, name, created_at) VALUES (@id, @n, @at)", ct,
            ("id", w.Id), ("n", w.Name), ("at", Db.Ticks(w.CreatedAt))), ct);

    public Task<WorkspaceRecord?> GetWorkspaceAsync(string workspaceId, CancellationToken ct = default) => ReadAsync(c =>
        Db.FirstAsync(c, null, "SELECT id, name, created_at FROM workspaces WHERE id = @id",
            r => new WorkspaceRecord(r.GetString(0), r.GetString(1), Db.Time(r, 2)), ct, ("id", workspaceId)), ct);

    const string KeyColumns = "id, workspace_id, name, prefix, hash, scopes, created_at, revoked_at, last_used_at";

    static ApiKeyRecord ReadKey(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Db.Bytes(r, 4),
        r.GetString(5).Split(',', StringSplitOptions.RemoveEmptyEntries),
        Db.Time(r, 6), Db.TimeOrNull(r, 7), Db.TimeOrNull(r, 8));

    public Task CreateApiKeyAsync(ApiKeyRecord k, CancellationToken ct = default) => WriteAsync((c, tx) =>
        Db.ExecuteAsync(c, tx, $"INSERT INTO api_keys({KeyColumns}) VALUES (@id, @w, @n, @p, @h, @s, @at, @rev, @used)", ct,
            ("id", k.Id), ("w", k.WorkspaceId), ("n", k.Name), ("p", k.Prefix), ("h", k.Hash), ("s", string.Join(',', k.Scopes)),
            ("at", Db.Ticks(k.CreatedAt)), ("rev", Db.Ticks(k.RevokedAt)), ("used", Db.Ticks(k.LastUsedAt))), ct);

    public Task<ApiKeyRecord?> FindApiKeyByHashAsync(byte[] hash, CancellationToken ct = default) => ReadAsync(c =>
        Db.FirstAsync(c, null, $"SELECT {KeyColumns} FROM api_keys WHERE hash = @h", ReadKey, ct, ("h", hash)), ct);

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? workspaceId, CancellationToken ct = default) =>
        await ReadAsync(c => workspaceId is null
            ? Db.ListAsync(c, null, $"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, id", ReadKey, ct)
            : Db.ListAsync(c, null, $"SELECT {KeyColumns} FROM api_keys WHERE workspace_id = @w ORDER BY created_at, id",
                ReadKey, ct, ("w", workspaceId)), ct);

    public async Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken ct = default) =>
        await WriteAsync((c, tx) => Db.ExecuteAsync(c, tx,
            "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL", ct,
            ("at", Db.Ticks(at)), ("id", keyId)), ct) == 1;

    public Task<long> CountApiKeysAsync(CancellationToken ct = default) =>
        ReadAsync(c => Db.ScalarLongAsync(c, null, "SELECT COUNT(*) FROM api_keys", ct), ct);

    // ---- collections -------------------------------------------------------------------------------

    const string CollectionColumns =
        "SELECT c.id, c.workspace_id, c.name, c.description, c.settings, c.model_version, c.created_at, c.updated_at, ";
    const string CollectionSelect = CollectionColumns + "(SELECT COUNT(*) FROM faces f WHERE f.collection_id = c.id) FROM collections c";
    const string CollectionSelectUncounted = CollectionColumns + "CAST(0 AS BIGINT) FROM collections c";

    static CollectionRecord ReadCollection(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), Db.StringOrNull(r, 3), r.GetString(4), r.GetString(5),
        Db.Time(r, 6), Db.Time(r, 7), r.GetInt64(8));

    public Task CreateCollectionAsync(CollectionRecord k, CancellationToken ct = default) => WriteAsync((c, tx) =>
        Db.ExecuteAsync(c, tx,
            "INSERT INTO collections(id, workspace_id, name, description, settings, model_version, created_at, updated_at) " +
            "VALUES (@id, @w, @n, @d, @s, @m, @at, @up)", ct,
            ("id", k.Id), ("w", k.WorkspaceId), ("n", k.Name), ("d", k.Description), ("s", k.SettingsJson),
            ("m", k.ModelVersion), ("at", Db.Ticks(k.CreatedAt)), ("up", Db.Ticks(k.UpdatedAt))), ct);

    public Task<CollectionRecord?> GetCollectionAsync(string workspaceId, string collectionId, CancellationToken ct = default) =>
        ReadAsync(c => Db.FirstAsync(c, null, CollectionSelect + " WHERE c.workspace_id = @w AND c.id = @id", ReadCollection, ct,
            ("w", workspaceId), ("id", collectionId)), ct);

    public Task<CollectionRecord?> GetCollectionUncountedAsync(string workspaceId, string collectionId, CancellationToken ct = default) =>
        ReadAsync(c => Db.FirstAsync(c, null, CollectionSelectUncounted + " WHERE c.workspace_id = @w AND c.id = @id", ReadCollection, ct,
            ("w", workspaceId), ("id", collectionId)), ct);

    public Task<Page<CollectionRecord>> ListCollectionsAsync(string workspaceId, int page, int pageSize, CancellationToken ct = default)
    {
        CheckPage(page, pageSize);
        return ReadAsync(async c =>
        {
            long total = await Db.ScalarLongAsync(c, null, "SELECT COUNT(*) FROM collections WHERE workspace_id = @w", ct, ("w", workspaceId));
            var items = await Db.ListAsync(c, null,
                CollectionSelect + " WHERE c.workspace_id = @w ORDER BY c.created_at, c.id LIMIT @n OFFSET @o", ReadCollection, ct,
                ("w", workspaceId), ("n", pageSize), ("o", (long)(page - 1) * pageSize));
            return new Page<CollectionRecord>(items, page, pageSize, total);
        }, ct);
    }

    public async Task<IReadOnlyList<CollectionRecord>> ListAllCollectionsAsync(CancellationToken ct = default) =>
        await ReadAsync(c => Db.ListAsync(c, null, CollectionSelect + " ORDER BY c.created_at, c.id", ReadCollection, ct), ct);

    public async Task<bool> UpdateCollectionAsync(CollectionRecord k, CancellationToken ct = default) =>
        await WriteAsync((c, tx) => Db.ExecuteAsync(c, tx,
            "UPDATE collections SET name = @n, description = @d, settings = @s, model_version = @m, updated_at = @up " +
            "WHERE id = @id AND workspace_id = @w", ct,
            ("n", k.Name), ("d", k.Description), ("s", k.SettingsJson), ("m", k.ModelVersion), ("up", Db.Ticks(k.UpdatedAt)),
            ("id", k.Id), ("w", k.WorkspaceId)), ct) == 1;

    public async Task<bool> DeleteCollectionAsync(string workspaceId, string collectionId, CancellationToken ct = default)
    {
        bool deleted = await WriteAsync(async (c, tx) =>
        {
            // Faces, references and crops go by ON DELETE CASCADE in the same statement.
            if (await Db.ExecuteAsync(c, tx, "DELETE FROM collections WHERE id = @id AND workspace_id = @w", ct,
                    ("id", collectionId), ("w", workspaceId)) == 0)
                return false;
            await AppendChangeAsync(c, tx, ChangeKind.CollectionDeleted, collectionId, null, null, ct);
            return true;
        }, ct);
        if (deleted) await AfterDeleteAsync(ct);
        return deleted;
    }

    // ---- faces ---------------------------------------------------------------------------------------

    const string FaceColumns = "id, collection_id, external_id, metadata, quality_score, liveness_score, " +
                               "box_x, box_y, box_w, box_h, faces_detected, model_version, created_at, updated_at";

    static FaceRecord ReadFace(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFloat(4), Db.FloatOrNull(r, 5),
        r.GetInt32(6), r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.GetInt32(10), r.GetString(11),
        Db.Time(r, 12), Db.Time(r, 13));

    public Task<long> InsertFaceAsync(FaceRecord f, ReferenceRecord primary, CancellationToken ct = default) =>
        WriteAsync((c, tx) => InsertFaceRowsAsync(c, tx, f, primary, ct), ct);

    /// <summary>One transaction for the whole batch: all faces are stored or none.</summary>
    public Task<IReadOnlyList<long>> InsertFacesAsync(IReadOnlyList<(FaceRecord Face, ReferenceRecord Primary)> faces,
        CancellationToken ct = default) => WriteAsync<IReadOnlyList<long>>(async (c, tx) =>
    {
        var keys = new long[faces.Count];
        for (int i = 0; i < faces.Count; i++) keys[i] = await InsertFaceRowsAsync(c, tx, faces[i].Face, faces[i].Primary, ct);
        return keys;
    }, ct);

    async Task<long> InsertFaceRowsAsync(DbConnection c, DbTransaction tx, FaceRecord f, ReferenceRecord primary, CancellationToken ct)
    {
        await Db.ExecuteAsync(c, tx, $"INSERT INTO faces({FaceColumns}) VALUES " +
            "(@id, @c, @e, @m, @q, @l, @bx, @by, @bw, @bh, @fd, @mv, @at, @up)", ct,
            ("id", f.Id), ("c", f.CollectionId), ("e", f.ExternalId), ("m", f.MetadataJson), ("q", f.QualityScore),
            ("l", f.LivenessScore), ("bx", f.BoxX), ("by", f.BoxY), ("bw", f.BoxWidth), ("bh", f.BoxHeight),
            ("fd", f.FacesDetected), ("mv", f.ModelVersion), ("at", Db.Ticks(f.CreatedAt)), ("up", Db.Ticks(f.UpdatedAt)));
        return await InsertReferenceAsync(c, tx, primary with { FaceId = f.Id, CollectionId = f.CollectionId, Source = ReferenceSource.Enroll },
            f.ModelVersion, ct);
    }

    async Task<long> InsertReferenceAsync(DbConnection c, DbTransaction tx, ReferenceRecord r, string modelVersion, CancellationToken ct)
    {
        long key = await Db.ScalarLongAsync(c, tx,
            "INSERT INTO face_refs(id, face_id, collection_id, source, quality_score, model_version, created_at, embedding) " +
            "VALUES (@id, @f, @c, @s, @q, @mv, @at, @e) RETURNING ref_key", ct,
            ("id", r.Id), ("f", r.FaceId), ("c", r.CollectionId), ("s", SourceName(r.Source)), ("q", r.QualityScore),
            ("mv", modelVersion), ("at", Db.Ticks(r.CreatedAt)), ("e", Protector is null ? Embeddings.ToBytes(r.Embedding) : Array.Empty<byte>()));
        if (Protector is not null) await SealEmbeddingAsync(c, tx, key, r.Embedding, ct);
        if (r.Crop is not null)
            await Db.ExecuteAsync(c, tx, "INSERT INTO crops(ref_key, data) VALUES (@k, @d)", ct, ("k", key), ("d", Seal(r.Crop, key, BlobKind.Crop)));
        await AppendChangeAsync(c, tx, ChangeKind.ReferenceAdded, r.CollectionId, r.FaceId, key, ct);
        return key;
    }

    public Task<FaceRecord?> GetFaceAsync(string collectionId, string faceId, CancellationToken ct = default) => ReadAsync(c =>
        Db.FirstAsync(c, null, $"SELECT {FaceColumns} FROM faces WHERE collection_id = @c AND id = @id", ReadFace, ct,
            ("c", collectionId), ("id", faceId)), ct);

    public async Task<IReadOnlyList<FaceRecord>> GetFacesAsync(string collectionId, IReadOnlyCollection<string> faceIds,
        CancellationToken ct = default)
    {
        if (faceIds.Count == 0) return [];
        var sql = new StringBuilder($"SELECT {FaceColumns} FROM faces WHERE collection_id = @c AND id IN (");
        var args = new (string, object?)[faceIds.Count + 1];
        args[0] = ("c", collectionId);
        int i = 0;
        foreach (var id in faceIds)
        {
            sql.Append(i == 0 ? "@f0" : $", @f{i}");
            args[++i] = ($"f{i - 1}", id);
        }
        sql.Append(") ORDER BY created_at, id");
        return await ReadAsync(c => Db.ListAsync(c, null, sql.ToString(), ReadFace, ct, args), ct);
    }

    public Task<Page<FaceRecord>> ListFacesAsync(string collectionId, string? externalId, int page, int pageSize,
        CancellationToken ct = default)
    {
        CheckPage(page, pageSize);
        string where = externalId is null ? "collection_id = @c" : "collection_id = @c AND external_id = @e";
        return ReadAsync(async c =>
        {
            long total = await Db.ScalarLongAsync(c, null, $"SELECT COUNT(*) FROM faces WHERE {where}", ct,
                ("c", collectionId), ("e", externalId));
            var items = await Db.ListAsync(c, null,
                $"SELECT {FaceColumns} FROM faces WHERE {where} ORDER BY created_at, id LIMIT @n OFFSET @o", ReadFace, ct,
                ("c", collectionId), ("e", externalId), ("n", pageSize), ("o", (long)(page - 1) * pageSize));
            return new Page<FaceRecord>(items, page, pageSize, total);
        }, ct);
    }

    public async Task<IReadOnlyList<FaceRecord>> GetFacesByExternalIdAsync(string collectionId, string externalId,
        CancellationToken ct = default) =>
        await ReadAsync(c => Db.ListAsync(c, null,
            $"SELECT {FaceColumns} FROM faces WHERE collection_id = @c AND external_id = @e ORDER BY created_at, id", ReadFace, ct,
            ("c", collectionId), ("e", externalId)), ct);

    public Task<bool> UpdateFaceMetadataAsync(string collectionId, string faceId, string metadataJson, DateTimeOffset at,
        CancellationToken ct = default) => WriteAsync(async (c, tx) =>
    {
        if (await Db.ExecuteAsync(c, tx, "UPDATE faces SET metadata = @m, updated_at = @at WHERE id = @id AND collection_id = @c", ct,
                ("m", metadataJson), ("at", Db.Ticks(at)), ("id", faceId), ("c", collectionId)) == 0)
            return false;
        await AppendChangeAsync(c, tx, ChangeKind.FaceUpdated, collectionId, faceId, null, ct);
        return true;
    }, ct);

    public async Task<IReadOnlyList<long>> DeleteFaceAsync(string collectionId, string faceId, CancellationToken ct = default)
    {
        var keys = await WriteAsync<IReadOnlyList<long>>(async (c, tx) =>
        {
            var face = await Db.FirstAsync(c, tx, $"SELECT id FROM faces WHERE id = @id AND collection_id = @c{ForUpdate}",
                r => r.GetString(0), ct, ("id", faceId), ("c", collectionId));
            if (face is null) return [];
            var removed = await Db.ListAsync(c, tx, "SELECT ref_key FROM face_refs WHERE face_id = @f ORDER BY ref_key",
                r => r.GetInt64(0), ct, ("f", faceId));
            await Db.ExecuteAsync(c, tx, "DELETE FROM faces WHERE id = @id", ct, ("id", faceId));
            // One ReferenceRemoved per key lets a follower's index drop vectors by key alone.
            foreach (long key in removed)
                await AppendChangeAsync(c, tx, ChangeKind.ReferenceRemoved, collectionId, faceId, key, ct);
            await AppendChangeAsync(c, tx, ChangeKind.FaceDeleted, collectionId, faceId, null, ct);
            return removed;
        }, ct);
        if (keys.Count > 0) await AfterDeleteAsync(ct);
        return keys;
    }

    // ---- references ----------------------------------------------------------------------------------

    const string RefInfoColumns = "ref_key, id, face_id, source, quality_score, created_at";

    static ReferenceInfo ReadRefInfo(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), ParseSource(r.GetString(3)), r.GetFloat(4), Db.Time(r, 5));

    public async Task<IReadOnlyList<ReferenceInfo>> GetReferencesAsync(string faceId, CancellationToken ct = default) =>
        await ReadAsync(c => Db.ListAsync(c, null,
            $"SELECT {RefInfoColumns} FROM face_refs WHERE face_id = @f ORDER BY created_at, ref_key", ReadRefInfo, ct, ("f", faceId)), ct);

    public Task<ReferenceRecord?> GetReferenceAsync(long key, CancellationToken ct = default) => ReadAsync(c =>
        Db.FirstAsync(c, null,
            "SELECT r.ref_key, r.id, r.face_id, r.collection_id, r.source, r.quality_score, r.embedding, k.data, r.created_at " +
            "FROM face_refs r LEFT JOIN crops k ON k.ref_key = r.ref_key WHERE r.ref_key = @k",
            r => new ReferenceRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseSource(r.GetString(4)),
                r.GetFloat(5), ReadEmbedding(r, 6, key), r.IsDBNull(7) ? null : Open(Db.Bytes(r, 7), key, BlobKind.Crop), Db.Time(r, 8)),
            ct, ("k", key)), ct);

    public Task<AddReferenceResult> AddReferenceAsync(ReferenceRecord reference, int maxReferences, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReferences, 1);
        return WriteAsync(async (c, tx) =>
        {
            // Locking the face row serialises concurrent auto-enrolments of one face (PostgreSQL), so the cap holds.
            var face = await Db.FirstAsync(c, tx, $"SELECT collection_id, model_version FROM faces WHERE id = @f{ForUpdate}",
                r => Tuple.Create(r.GetString(0), r.GetString(1)), ct, ("f", reference.FaceId))
                ?? throw new StoreNotFoundException($"face '{reference.FaceId}' does not exist");
            reference = reference with { Source = ReferenceSource.Auto, CollectionId = face.Item1 };
            long key = await InsertReferenceAsync(c, tx, reference, face.Item2, ct);
            var autos = await Db.ListAsync(c, tx,
                "SELECT ref_key FROM face_refs WHERE face_id = @f AND source = 'auto' ORDER BY created_at, ref_key",
                r => r.GetInt64(0), ct, ("f", reference.FaceId));
            long total = await Db.ScalarLongAsync(c, tx, "SELECT COUNT(*) FROM face_refs WHERE face_id = @f", ct, ("f", reference.FaceId));
            var removed = new List<long>();
            for (int i = 0; i < autos.Count && total - removed.Count > maxReferences; i++)
            {
                await DeleteReferenceRowAsync(c, tx, autos[i], ct);
                await AppendChangeAsync(c, tx, ChangeKind.ReferenceRemoved, reference.CollectionId, reference.FaceId, autos[i], ct);
                removed.Add(autos[i]);
            }
            return new AddReferenceResult(key, removed);
        }, ct);
    }

    static Task<int> DeleteReferenceRowAsync(DbConnection c, DbTransaction tx, long key, CancellationToken ct) =>
        Db.ExecuteAsync(c, tx, "DELETE FROM face_refs WHERE ref_key = @k", ct, ("k", key));

    public async Task<long?> DeleteReferenceAsync(string faceId, string referenceId, CancellationToken ct = default)
    {
        var key = await WriteAsync<long?>(async (c, tx) =>
        {
            var row = await Db.FirstAsync(c, tx,
                $"SELECT ref_key, collection_id FROM face_refs WHERE face_id = @f AND id = @id AND source = 'auto'{ForUpdate}",
                r => Tuple.Create(r.GetInt64(0), r.GetString(1)), ct, ("f", faceId), ("id", referenceId));
            if (row is null) return null;
            await DeleteReferenceRowAsync(c, tx, row.Item1, ct);
            await AppendChangeAsync(c, tx, ChangeKind.ReferenceRemoved, row.Item2, faceId, row.Item1, ct);
            return row.Item1;
        }, ct);
        if (key is not null) await AfterDeleteAsync(ct);
        return key;
    }

    /// <summary>Every vector of collection @c with its owner, in key order (the start-up load).</summary>
    protected const string VectorsSql =
        "SELECT r.ref_key, r.face_id, f.external_id, r.embedding FROM face_refs r JOIN faces f ON f.id = r.face_id " +
        "WHERE r.collection_id = @c ORDER BY r.ref_key";

    public virtual async IAsyncEnumerable<StoredVector> StreamVectorsAsync(string collectionId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        // An iterator cannot yield inside try/catch, so the rows are read on a reader opened (and its errors
        // translated) up front; the database hands them over as they are read, never all at once.
        var (connection, reader) = await ReadAsync(async c =>
        {
            var cmd = Db.Command(c, null, VectorsSql, ("c", collectionId));
            return (c, await cmd.ExecuteReaderAsync(ct));
        }, ct, keepOpen: true);
        await using var _ = connection;
        await using var __ = reader;
        // Consecutive references of one face share its ids: reuse the strings instead of allocating per row.
        string faceId = "", externalId = "";
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetString(1);
            if (id != faceId) { faceId = id; externalId = reader.GetString(2); }
            long refKey = reader.GetInt64(0);
            yield return new StoredVector(refKey, faceId, externalId, ReadEmbedding(reader, 3, refKey));
        }
    }

    public Task<byte[]?> GetCropAsync(long referenceKey, CancellationToken ct = default) => ReadAsync(c =>
        Db.FirstAsync(c, null, "SELECT data FROM crops WHERE ref_key = @k", r => Open(Db.Bytes(r, 0), referenceKey, BlobKind.Crop), ct, ("k", referenceKey)), ct);

    public Task<bool> UpdateEmbeddingAsync(long referenceKey, float[] embedding, string modelVersion, CancellationToken ct = default) =>
        WriteAsync(async (c, tx) =>
        {
            var row = await Db.FirstAsync(c, tx,
                "UPDATE face_refs SET embedding = @e, model_version = @mv WHERE ref_key = @k RETURNING collection_id, face_id",
                r => Tuple.Create(r.GetString(0), r.GetString(1)), ct,
                ("e", Seal(Embeddings.ToBytes(embedding), referenceKey, BlobKind.Embedding)), ("mv", modelVersion), ("k", referenceKey));
            if (row is null) return false;
            // A re-embedded reference is "added" again: followers replace the vector of that key.
            await AppendChangeAsync(c, tx, ChangeKind.ReferenceAdded, row.Item1, row.Item2, referenceKey, ct);
            return true;
        }, ct);

    // ---- idempotency ---------------------------------------------------------------------------------

    public Task<IdempotencyRecord?> GetIdempotencyAsync(string workspaceId, string key, CancellationToken ct = default) =>
        ReadAsync(c => Db.FirstAsync(c, null,
            "SELECT workspace_id, idem_key, request_hash, status_code, response_body, created_at FROM idempotency " +
            "WHERE workspace_id = @w AND idem_key = @k",
            r => new IdempotencyRecord(r.GetString(0), r.GetString(1), Db.Bytes(r, 2), r.GetInt32(3), r.GetString(4), Db.Time(r, 5)),
            ct, ("w", workspaceId), ("k", key)), ct);

    public async Task<bool> TryPutIdempotencyAsync(IdempotencyRecord x, CancellationToken ct = default) =>
        await WriteAsync((c, tx) => Db.ExecuteAsync(c, tx,
            "INSERT INTO idempotency(workspace_id, idem_key, request_hash, status_code, response_body, created_at) " +
            "VALUES (@w, @k, @h, @s, @b, @at) ON CONFLICT (workspace_id, idem_key) DO NOTHING", ct,
            ("w", x.WorkspaceId), ("k", x.Key), ("h", x.RequestHash), ("s", x.StatusCode), ("b", x.ResponseBody),
            ("at", Db.Ticks(x.CreatedAt))), ct) == 1;

    // ---- change log ----------------------------------------------------------------------------------

    public Task<long> GetLatestChangeSeqAsync(CancellationToken ct = default) =>
        ReadAsync(c => Db.ScalarLongAsync(c, null, "SELECT MAX(seq) FROM changes", ct), ct);

    /// <summary>Drops change rows written before <paramref name="before"/> (the log otherwise grows forever),
    /// always keeping the newest so the latest seq stays known. An instance whose last seen seq is older than the oldest kept row must reload its index from
    /// <see cref="StreamVectorsAsync"/>; <see cref="GetOldestChangeSeqAsync"/> tells it.</summary>
    public async Task<long> PruneChangesAsync(DateTimeOffset before, CancellationToken ct = default) =>
        await WriteAsync((c, tx) => Db.ExecuteAsync(c, tx, "DELETE FROM changes WHERE changed_at < @t AND seq < (SELECT MAX(seq) FROM changes)", ct, ("t", Db.Ticks(before))), ct);

    /// <summary>The smallest seq still in the log (0 when empty).</summary>
    public Task<long> GetOldestChangeSeqAsync(CancellationToken ct = default) =>
        ReadAsync(c => Db.ScalarLongAsync(c, null, "SELECT MIN(seq) FROM changes", ct), ct);

    /// <summary>Forgets idempotency records created before <paramref name="before"/>: a retry after that is a new request.</summary>
    public async Task<long> PruneIdempotencyAsync(DateTimeOffset before, CancellationToken ct = default) =>
        await WriteAsync((c, tx) => Db.ExecuteAsync(c, tx, "DELETE FROM idempotency WHERE created_at < @t", ct, ("t", Db.Ticks(before))), ct);

    public async Task<IReadOnlyList<ChangeRecord>> GetChangesSinceAsync(long afterSeq, int max, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        return await ReadAsync(c => Db.ListAsync(c, null,
            "SELECT seq, kind, collection_id, face_id, ref_key, changed_at FROM changes WHERE seq > @s ORDER BY seq LIMIT @n",
            r => new ChangeRecord(r.GetInt64(0), ParseKind(r.GetString(1)), r.GetString(2), Db.StringOrNull(r, 3),
                r.IsDBNull(4) ? null : r.GetInt64(4), Db.Time(r, 5)),
            ct, ("s", afterSeq), ("n", max)), ct);
    }

    // ---- audit log -------------------------------------------------------------------------------------

    public Task AppendAuditAsync(AuditRecord e, CancellationToken ct = default) => WriteAsync((c, tx) =>
        Db.ExecuteAsync(c, tx,
            "INSERT INTO audit_events(at, workspace_id, action, key_id, target_type, target_id, collection_id, request_id, details) " +
            "VALUES (@at, @w, @a, @k, @tt, @ti, @c, @r, @d)", ct,
            ("at", Db.Ticks(e.At)), ("w", e.WorkspaceId), ("a", e.Action), ("k", e.KeyId), ("tt", e.TargetType), ("ti", e.TargetId),
            ("c", e.CollectionId), ("r", e.RequestId), ("d", e.DetailsJson)), ct);

    public Task<Page<AuditRecord>> ListAuditAsync(string workspaceId, string? action, DateTimeOffset? since, int page, int pageSize,
        CancellationToken ct = default)
    {
        CheckPage(page, pageSize);
        // Filters are added only when set: an untyped NULL parameter is an error on PostgreSQL.
        var args = new List<(string, object?)> { ("w", workspaceId) };
        var where = " FROM audit_events WHERE workspace_id = @w";
        if (action is not null) { where += " AND action = @a"; args.Add(("a", action)); }
        if (since is { } from) { where += " AND at >= @s"; args.Add(("s", Db.Ticks(from))); }
        return ReadAsync(async c =>
        {
            long total = await Db.ScalarLongAsync(c, null, "SELECT COUNT(*)" + where, ct, [.. args]);
            var items = await Db.ListAsync(c, null,
                "SELECT seq, at, workspace_id, action, key_id, target_type, target_id, collection_id, request_id, details" + where +
                " ORDER BY seq DESC LIMIT @n OFFSET @o",
                r => new AuditRecord(r.GetInt64(0), Db.Time(r, 1), r.GetString(2), r.GetString(3), Db.StringOrNull(r, 4), r.GetString(5),
                    r.GetString(6), Db.StringOrNull(r, 7), Db.StringOrNull(r, 8), r.GetString(9)),
                ct, [.. args, ("n", pageSize), ("o", (long)(page - 1) * pageSize)]);
            return new Page<AuditRecord>(items, page, pageSize, total);
        }, ct);
    }
}
