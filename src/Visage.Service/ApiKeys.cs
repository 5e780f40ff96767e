using System.Security.Cryptography;
using System.Text;
using Visage.Storage;

namespace Visage.Service;

public static class Scopes
{
    public const string Admin = "admin", Write = "write", Read = "read", Search = "search";
    public static readonly IReadOnlyList<string> All = [Admin, Write, Read, Search];

    public static IReadOnlyList<string> Parse(IEnumerable<string> raw)
    {
        var result = new List<string>();
        foreach (var s in raw)
        {
            var scope = s.Trim().ToLowerInvariant();
            if (scope.Length == 0) continue;
            if (!All.Contains(scope)) throw new ValidationFailedException($"Unknown scope '{s}'. Known: admin, write, read, search.", "scopes");
            if (!result.Contains(scope)) result.Add(scope);
        }
        if (result.Count == 0) throw new ValidationFailedException("At least one scope is required.", "scopes");
        return result;
    }
}

/// <summary>The shape of a key: <c>fr_live_</c> + 32 base62 characters from a CSPRNG (~190 bits).</summary>
public static class ApiKeyFormat
{
    public const string Prefix = "fr_live_";
    const int SecretLength = 32;
    const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Generate() => Prefix + RandomNumberGenerator.GetString(Base62, SecretLength);

    public static bool IsWellFormed(string? key) =>
        key is not null && key.Length == Prefix.Length + SecretLength
        && key.StartsWith(Prefix, StringComparison.Ordinal)
        && key.AsSpan(Prefix.Length).IndexOfAnyExcept(Base62) < 0;

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The part of a key that is safe to show in listings.</summary>
    public static string DisplayPrefix(string key) => key[..(Prefix.Length + 4)];
}

/// <summary>Who is calling: resolved from the X-API-Key header on every request (no cache, so revocation is immediate).</summary>
public sealed record Caller(string WorkspaceId, string KeyId, IReadOnlyList<string> Scopes)
{
    /// <summary>The request this caller is making (for the audit log); null outside HTTP.</summary>
    public string? RequestId { get; init; }
    public bool Has(string scope) => Scopes.Contains(scope);
    public void Require(string scope) { if (!Has(scope)) throw new ForbiddenException(scope); }
}

public sealed record CreatedKey(ApiKeyRecord Record, string Key);

public sealed class KeyService(IFaceStore store, TimeProvider clock, AuditLog? audit = null)
{
    public async Task<Caller> AuthenticateAsync(string? presented, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(presented)) throw new ApiKeyRequiredException();
        if (!ApiKeyFormat.IsWellFormed(presented)) throw new ApiKeyInvalidException();
        var hash = ApiKeyFormat.Hash(presented);
        var record = await store.FindApiKeyByHashAsync(hash, ct);
        // The lookup is by hash; the fixed-time comparison guards against a store whose index lookup
        // could be coaxed into a prefix match.
        if (record is null || record.RevokedAt is not null || !CryptographicOperations.FixedTimeEquals(record.Hash, hash))
            throw new ApiKeyInvalidException();
        return new Caller(record.WorkspaceId, record.Id, record.Scopes);
    }

    public async Task<CreatedKey> CreateAsync(string workspaceId, string name, IReadOnlyList<string> scopes,
        string? presetKey = null, CancellationToken ct = default, Caller? actor = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) throw new ValidationFailedException("name is required (at most 200 characters).", "name");
        if (presetKey is not null && !ApiKeyFormat.IsWellFormed(presetKey))
            throw new ValidationFailedException("A preset key must be fr_live_ followed by 32 base62 characters.", "key");
        var key = presetKey ?? ApiKeyFormat.Generate();
        var record = new ApiKeyRecord(Ids.New("key"), workspaceId, name.Trim(), ApiKeyFormat.DisplayPrefix(key),
            ApiKeyFormat.Hash(key), scopes, clock.GetUtcNow(), null, null);
        await store.CreateApiKeyAsync(record, ct);
        if (actor is not null && audit is not null)
            await audit.RecordAsync(actor with { WorkspaceId = workspaceId }, AuditActions.KeyCreated, "api_key", record.Id,
                details: new Dictionary<string, object?> { ["name"] = record.Name, ["prefix"] = record.Prefix, ["scopes"] = scopes });
        return new CreatedKey(record, key);
    }

    public async Task<WorkspaceRecord> CreateWorkspaceAsync(string name, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) throw new ValidationFailedException("name is required (at most 200 characters).", "name");
        var ws = new WorkspaceRecord(Ids.New("ws"), name.Trim(), clock.GetUtcNow());
        await store.CreateWorkspaceAsync(ws, ct);
        return ws;
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string? workspaceId, CancellationToken ct = default) =>
        store.ListApiKeysAsync(workspaceId, ct);

    /// <summary>Revokes a key of the workspace (any workspace when null).</summary>
    public async Task<ApiKeyRecord> RevokeAsync(string? workspaceId, string keyId, CancellationToken ct = default, Caller? actor = null)
    {
        var keys = await store.ListApiKeysAsync(workspaceId, ct);
        ApiKeyRecord? found = null;
        foreach (var k in keys) if (k.Id == keyId) { found = k; break; }
        if (found is null) throw new KeyNotFoundException(keyId);
        var at = clock.GetUtcNow();
        if (found.RevokedAt is null && await store.RevokeApiKeyAsync(keyId, at, ct) && actor is not null && audit is not null)
            await audit.RecordAsync(actor with { WorkspaceId = found.WorkspaceId }, AuditActions.KeyRevoked, "api_key", keyId,
                details: new Dictionary<string, object?> { ["prefix"] = found.Prefix });
        return found with { RevokedAt = found.RevokedAt ?? at };
    }

    /// <summary>First start: makes sure an admin key exists. Returns the new key when one was generated
    /// (to print once), null when keys already existed or the preset key was used.</summary>
    public async Task<string?> EnsureAdminKeyAsync(string? presetKey, CancellationToken ct = default)
    {
        if (presetKey is { Length: > 0 })
        {
            if (await store.FindApiKeyByHashAsync(ApiKeyFormat.Hash(presetKey), ct) is not null) return null;
            var ws = await DefaultWorkspaceAsync(ct);
            await CreateAsync(ws, "admin (VISAGE_ADMIN_KEY)", Scopes.All, presetKey, ct);
            return null;
        }
        if (await store.CountApiKeysAsync(ct) > 0) return null;
        var created = await CreateAsync(await DefaultWorkspaceAsync(ct), "admin (first start)", Scopes.All, null, ct);
        return created.Key;
    }

    public async Task<string> DefaultWorkspaceAsync(CancellationToken ct = default)
    {
        // The first key's workspace is the default one; a fresh store has none yet.
        var keys = await store.ListApiKeysAsync(null, ct);
        foreach (var k in keys) if (k.Scopes.Contains(Scopes.Admin)) return k.WorkspaceId;
        return (await CreateWorkspaceAsync("default", ct)).Id;
    }
}
