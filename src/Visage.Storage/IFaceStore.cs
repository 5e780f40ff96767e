namespace Visage.Storage;

/// <summary>The store of record. SQLite (embedded default) and PostgreSQL implement it with the same
/// behaviour. Every write that changes what search can return also appends to the change log in the
/// same transaction, so indexes on other instances can follow.</summary>
public interface IFaceStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }
    /// <summary>Creates or upgrades the schema (versioned migrations).</summary>
    Task MigrateAsync(CancellationToken ct = default);
    Task<bool> PingAsync(CancellationToken ct = default);

    // Workspaces and keys
    Task CreateWorkspaceAsync(WorkspaceRecord workspace, CancellationToken ct = default);
    Task<WorkspaceRecord?> GetWorkspaceAsync(string workspaceId, CancellationToken ct = default);
    Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken ct = default);
    Task<ApiKeyRecord?> FindApiKeyByHashAsync(byte[] hash, CancellationToken ct = default);
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? workspaceId, CancellationToken ct = default);
    Task<bool> RevokeApiKeyAsync(string keyId, DateTimeOffset at, CancellationToken ct = default);
    Task<long> CountApiKeysAsync(CancellationToken ct = default);

    // Collections (scoped by workspace: another workspace's id is simply not found)
    Task CreateCollectionAsync(CollectionRecord collection, CancellationToken ct = default);
    Task<CollectionRecord?> GetCollectionAsync(string workspaceId, string collectionId, CancellationToken ct = default);
    /// <summary>As <see cref="GetCollectionAsync"/> without counting the faces (FaceCount 0): what every enroll and search
    /// needs, at a cost that does not grow with the collection (a count reads a million rows at a million faces).</summary>
    Task<CollectionRecord?> GetCollectionUncountedAsync(string workspaceId, string collectionId, CancellationToken ct = default);
    Task<Page<CollectionRecord>> ListCollectionsAsync(string workspaceId, int page, int pageSize, CancellationToken ct = default);
    /// <summary>Every collection of every workspace (index rebuild at start).</summary>
    Task<IReadOnlyList<CollectionRecord>> ListAllCollectionsAsync(CancellationToken ct = default);
    Task<bool> UpdateCollectionAsync(CollectionRecord collection, CancellationToken ct = default);
    /// <summary>Deletes the collection with all its faces, references and crops.</summary>
    Task<bool> DeleteCollectionAsync(string workspaceId, string collectionId, CancellationToken ct = default);

    // Faces and references
    /// <summary>Inserts a face with its primary reference atomically; returns the reference's key.</summary>
    Task<long> InsertFaceAsync(FaceRecord face, ReferenceRecord primary, CancellationToken ct = default);
    /// <summary>Inserts many faces with their primary references (import, seeding); returns their keys in order.
    /// The stores do it in one transaction (all or nothing); this default inserts one by one.</summary>
    async Task<IReadOnlyList<long>> InsertFacesAsync(IReadOnlyList<(FaceRecord Face, ReferenceRecord Primary)> faces,
        CancellationToken ct = default)
    {
        var keys = new long[faces.Count];
        for (int i = 0; i < faces.Count; i++) keys[i] = await InsertFaceAsync(faces[i].Face, faces[i].Primary, ct);
        return keys;
    }
    Task<FaceRecord?> GetFaceAsync(string collectionId, string faceId, CancellationToken ct = default);
    Task<IReadOnlyList<FaceRecord>> GetFacesAsync(string collectionId, IReadOnlyCollection<string> faceIds, CancellationToken ct = default);
    /// <summary>Stable order (created_at, id); optional exact external_id filter.</summary>
    Task<Page<FaceRecord>> ListFacesAsync(string collectionId, string? externalId, int page, int pageSize, CancellationToken ct = default);
    Task<IReadOnlyList<FaceRecord>> GetFacesByExternalIdAsync(string collectionId, string externalId, CancellationToken ct = default);
    Task<bool> UpdateFaceMetadataAsync(string collectionId, string faceId, string metadataJson, DateTimeOffset at, CancellationToken ct = default);
    /// <summary>Deletes the face, its references and crops; returns the deleted reference keys (empty when not found).</summary>
    Task<IReadOnlyList<long>> DeleteFaceAsync(string collectionId, string faceId, CancellationToken ct = default);
    Task<IReadOnlyList<ReferenceInfo>> GetReferencesAsync(string faceId, CancellationToken ct = default);
    Task<ReferenceRecord?> GetReferenceAsync(long key, CancellationToken ct = default);
    /// <summary>Adds an auto reference; when the face then holds more than maxReferences, the oldest auto ones go.</summary>
    Task<AddReferenceResult> AddReferenceAsync(ReferenceRecord reference, int maxReferences, CancellationToken ct = default);
    /// <summary>Removes one auto reference (never the primary); returns its key or null.</summary>
    Task<long?> DeleteReferenceAsync(string faceId, string referenceId, CancellationToken ct = default);
    IAsyncEnumerable<StoredVector> StreamVectorsAsync(string collectionId, CancellationToken ct = default);
    /// <summary>Stored aligned crop of a reference (null when the collection does not keep crops).</summary>
    Task<byte[]?> GetCropAsync(long referenceKey, CancellationToken ct = default);
    Task<bool> UpdateEmbeddingAsync(long referenceKey, float[] embedding, string modelVersion, CancellationToken ct = default);

    // Idempotency
    Task<IdempotencyRecord?> GetIdempotencyAsync(string workspaceId, string key, CancellationToken ct = default);
    /// <summary>False when a record with that key already exists (a concurrent first request won).</summary>
    Task<bool> TryPutIdempotencyAsync(IdempotencyRecord record, CancellationToken ct = default);
    /// <summary>Forgets records created before <paramref name="before"/>; returns how many.</summary>
    Task<long> PruneIdempotencyAsync(DateTimeOffset before, CancellationToken ct = default);

    // Change log (multi-instance)
    Task<long> GetLatestChangeSeqAsync(CancellationToken ct = default);
    Task<IReadOnlyList<ChangeRecord>> GetChangesSinceAsync(long afterSeq, int max, CancellationToken ct = default);
    /// <summary>Drops change rows older than <paramref name="before"/>, always keeping the newest; returns how many.</summary>
    Task<long> PruneChangesAsync(DateTimeOffset before, CancellationToken ct = default);
    /// <summary>The smallest seq still in the log (0 when empty): a follower whose position is below it missed changes.</summary>
    Task<long> GetOldestChangeSeqAsync(CancellationToken ct = default);

    // Audit log
    Task AppendAuditAsync(AuditRecord e, CancellationToken ct = default);
    /// <summary>Newest first; optional exact action filter and lower time bound (inclusive).</summary>
    Task<Page<AuditRecord>> ListAuditAsync(string workspaceId, string? action, DateTimeOffset? since, int page, int pageSize,
        CancellationToken ct = default);
}
