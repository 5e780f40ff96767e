namespace Visage.Storage;

// The store of record's rows. Ids are prefixed lower-case ULIDs made by the service (Ids.New).
// JSON columns (settings, metadata) travel as strings: the store does not interpret them.

public sealed record WorkspaceRecord(string Id, string Name, DateTimeOffset CreatedAt);

public sealed record ApiKeyRecord(
    string Id, string WorkspaceId, string Name,
    string Prefix,                 // first characters of the key, safe to show ("fr_live_AbCd")
    byte[] Hash,                   // SHA-256 of the whole key; the key itself is never stored
    IReadOnlyList<string> Scopes,  // admin, write, read, search
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

public sealed record CollectionRecord(
    string Id, string WorkspaceId, string Name, string? Description,
    string SettingsJson, string ModelVersion,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    long FaceCount = 0);           // filled on reads

public sealed record FaceRecord(
    string Id, string CollectionId, string ExternalId, string MetadataJson,
    float QualityScore, float? LivenessScore,
    int BoxX, int BoxY, int BoxWidth, int BoxHeight, int FacesDetected,
    string ModelVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public enum ReferenceSource { Enroll, Auto }

public sealed record ReferenceRecord(
    long Key,                      // store-assigned, unique across the store; the index's key. 0 before insert.
    string Id, string FaceId, string CollectionId, ReferenceSource Source,
    float QualityScore, float[] Embedding, byte[]? Crop, DateTimeOffset CreatedAt);

/// <summary>A reference without its embedding and crop, for listings.</summary>
public sealed record ReferenceInfo(long Key, string Id, string FaceId, ReferenceSource Source, float QualityScore, DateTimeOffset CreatedAt);

/// <summary>What an index needs to rebuild itself: one row per reference.</summary>
public readonly record struct StoredVector(long Key, string FaceId, string ExternalId, float[] Embedding);

public sealed record Page<T>(IReadOnlyList<T> Items, int PageNumber, int PageSize, long Total)
{
    public int TotalPages => PageSize == 0 ? 0 : (int)((Total + PageSize - 1) / PageSize);
}

public sealed record IdempotencyRecord(string WorkspaceId, string Key, byte[] RequestHash, int StatusCode,
    string ResponseBody, DateTimeOffset CreatedAt);

public enum ChangeKind { ReferenceAdded, ReferenceRemoved, FaceUpdated, FaceDeleted, CollectionDeleted }

/// <summary>One row of the change log that lets other instances follow this one (issue: scale).</summary>
public sealed record ChangeRecord(long Seq, ChangeKind Kind, string CollectionId, string? FaceId, long? ReferenceKey,
    DateTimeOffset At);

/// <summary>Result of adding a reference: its key, and the keys of auto references it displaced.</summary>
public sealed record AddReferenceResult(long Key, IReadOnlyList<long> RemovedKeys);

/// <summary>One row of the audit log: who (key) did what (action) to which target, in which request. Details is a
/// small JSON object of non-sensitive facts (never biometric data, metadata values or key secrets).
/// WorkspaceId is "" for failed authentications, which belong to no workspace and are shown to no one.</summary>
public sealed record AuditRecord(long Seq, DateTimeOffset At, string WorkspaceId, string Action, string? KeyId,
    string TargetType, string TargetId, string? CollectionId, string? RequestId, string DetailsJson);
