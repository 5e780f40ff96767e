using System.Text.Json;
using Visage.Storage;

namespace Visage.Service;

/// <summary>Audit action names, as stored and as filtered on by <c>GET /api/v1/audit?action=</c>.</summary>
public static class AuditActions
{
    public const string FaceEnrolled = "face.enrolled", FaceDeleted = "face.deleted", FaceMetadataUpdated = "face.metadata_updated",
        ReferenceAutoEnrolled = "reference.auto_enrolled", ReferenceDeleted = "reference.deleted",
        CollectionCreated = "collection.created", CollectionDeleted = "collection.deleted",
        KeyCreated = "key.created", KeyRevoked = "key.revoked",
        AuthFailed = "auth.failed", AuthForbidden = "auth.forbidden";
}

public sealed record AuditEventView(long Seq, DateTimeOffset At, string Action, string? KeyId, string TargetType, string TargetId,
    string? CollectionId, string? RequestId, JsonElement Details);

/// <summary>Appends audit events after the change they describe. A failed append is reported through
/// <paramref name="warn"/> and swallowed: the change already happened, and the caller must learn that it did.</summary>
public sealed class AuditLog(IFaceStore store, TimeProvider clock, Action<Exception, string>? warn = null)
{
    /// <summary>Failed authentications are written at most this often per minute and instance, so a flood of bad
    /// keys cannot turn into a flood of writes.</summary>
    public const int MaxAuthFailuresPerMinute = 60;
    long _failureWindow;
    int _failuresInWindow;

    public Task RecordAsync(Caller caller, string action, string targetType, string targetId, string? collectionId = null,
        IReadOnlyDictionary<string, object?>? details = null) =>
        AppendAsync(caller.WorkspaceId, action, caller.KeyId, targetType, targetId, collectionId, caller.RequestId, details);

    /// <summary>A presented key that is unknown, revoked or malformed. No workspace is known, so the event is stored with
    /// workspace "" (listed to no one); only the key's display prefix is kept, and only when the key is well formed.</summary>
    public Task RecordAuthFailureAsync(string? presentedKey, string? requestId)
    {
        long window = clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        lock (this)
        {
            if (window != _failureWindow) { _failureWindow = window; _failuresInWindow = 0; }
            if (++_failuresInWindow > MaxAuthFailuresPerMinute) return Task.CompletedTask;
        }
        var prefix = ApiKeyFormat.IsWellFormed(presentedKey) ? ApiKeyFormat.DisplayPrefix(presentedKey!) : null;
        return AppendAsync("", AuditActions.AuthFailed, null, "api_key", prefix ?? "", null, requestId,
            new Dictionary<string, object?> { ["key_prefix"] = prefix });
    }

    async Task AppendAsync(string workspaceId, string action, string? keyId, string targetType, string targetId, string? collectionId,
        string? requestId, IReadOnlyDictionary<string, object?>? details)
    {
        try
        {
            var json = details is null ? "{}" : JsonSerializer.Serialize(details);
            await store.AppendAuditAsync(new AuditRecord(0, clock.GetUtcNow(), workspaceId, action, keyId, targetType, targetId,
                collectionId, requestId, json), CancellationToken.None);
        }
        catch (Exception e)
        {
            warn?.Invoke(e, $"audit event {action} on {targetType} {targetId} was not recorded");
        }
    }

    /// <summary>The caller's workspace's events, newest first; <paramref name="since"/> is an ISO 8601 time (UTC unless it says otherwise).</summary>
    public async Task<PageView<AuditEventView>> ListAsync(Caller caller, string? action, string? since, int? page, int? pageSize,
        CancellationToken ct)
    {
        caller.Require(Scopes.Admin);
        DateTimeOffset? from = null;
        if (!string.IsNullOrEmpty(since))
        {
            if (!DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
                throw new ValidationFailedException("since must be an ISO 8601 date and time.", "since");
            from = parsed;
        }
        var (p, s) = Paging.Validate(page, pageSize);
        if (action is { Length: > 100 }) throw new ValidationFailedException("action must be at most 100 characters.", "action");
        var result = await store.ListAuditAsync(caller.WorkspaceId, string.IsNullOrEmpty(action) ? null : action, from, p, s, ct);
        return Paging.Map(result, r => new AuditEventView(r.Seq, r.At, r.Action, r.KeyId, r.TargetType, r.TargetId, r.CollectionId,
            r.RequestId, JsonDocument.Parse(r.DetailsJson).RootElement.Clone()));
    }
}
