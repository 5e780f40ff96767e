using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Visage.Service;
using Visage.Storage;
using Xunit;

namespace Visage.Server.Tests;

/// <summary>The audit log over real HTTP: each test works in a workspace of its own, so the other tests sharing the
/// server cannot add to or hide its events. Runs once per store.</summary>
public abstract class AuditTests<TServer>(TServer server) : IClassFixture<TServer> where TServer : VisageServer
{
    protected readonly TServer Server = server;

    sealed record Workspace(ApiClient Admin, string AdminKey, string AdminKeyId);

    async Task<Workspace> NewWorkspaceAsync()
    {
        var ws = await Server.Admin().PostJson("/api/v1/workspaces", new { name = "audit " + Guid.NewGuid().ToString("N")[..6] });
        Assert.Equal(HttpStatusCode.Created, ws.Status);
        var admin = ws.Data.GetProperty("admin_key");
        var key = admin.GetProperty("key").GetString()!;
        return new Workspace(Server.Client(key), key, admin.GetProperty("key_id").GetString()!);
    }

    static async Task<(string Key, string Id)> CreateKeyAsync(ApiClient admin, params string[] scopes)
    {
        var r = await admin.PostJson("/api/v1/keys", new { name = "k", scopes });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return (r.Data.GetProperty("key").GetString()!, r.Data.GetProperty("key_id").GetString()!);
    }

    static async Task<List<JsonElement>> AuditAsync(ApiClient client, string query = "")
    {
        var r = await client.Get("/api/v1/audit?page_size=1000" + query);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        return [.. r.Data.GetProperty("items").EnumerateArray()];
    }

    static JsonElement Single(List<JsonElement> events, string action, string targetId) =>
        Assert.Single(events, e => e.GetProperty("action").GetString() == action && e.GetProperty("target_id").GetString() == targetId);

    static void AssertEvent(JsonElement e, string keyId, ApiResponse answer, string? collectionId)
    {
        Assert.Equal(keyId, e.GetProperty("key_id").GetString());
        Assert.Equal(answer.Header("X-Request-Id"), e.GetProperty("request_id").GetString());
        Assert.Equal(collectionId, e.GetProperty("collection_id").GetString());
    }

    [Fact]
    public async Task Changes_and_forbidden_calls_are_audited_with_acting_key_target_and_request_id()
    {
        var ws = await NewWorkspaceAsync();
        var created = await ws.Admin.PostJson("/api/v1/collections", new { name = "audited", settings = new { check_liveness = false } });
        var col = created.Data.GetProperty("collection_id").GetString()!;
        var enrolled = await ws.Admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Verify("Juanes", 1)), ("external_id", "juanes"));
        Assert.Equal(HttpStatusCode.Created, enrolled.Status);
        var face = enrolled.Data.GetProperty("face_id").GetString()!;
        const string secretMetadata = "metadata-value-that-must-not-be-audited";
        var updated = await ws.Admin.PutJson($"/api/v1/collections/{col}/faces/{face}", new { metadata = new { note = secretMetadata } });
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        var deleted = await ws.Admin.Delete($"/api/v1/collections/{col}/faces/{face}");
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        var keyCreated = await ws.Admin.PostJson("/api/v1/keys", new { name = "temp", scopes = new[] { "write" } });
        var (tempKey, tempId) = (keyCreated.Data.GetProperty("key").GetString()!, keyCreated.Data.GetProperty("key_id").GetString()!);
        var revoked = await ws.Admin.Delete("/api/v1/keys/" + tempId);
        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        var (readKey, readId) = await CreateKeyAsync(ws.Admin, "read");
        var forbidden = await Server.Client(readKey).Get("/api/v1/keys");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
        var revokedUse = await Server.Client(tempKey).Get("/api/v1/collections");
        Assert.Equal(HttpStatusCode.Unauthorized, revokedUse.Status);

        var audit = await ws.Admin.Get("/api/v1/audit?page_size=1000");
        Assert.Equal(HttpStatusCode.OK, audit.Status);
        var events = audit.Data.GetProperty("items").EnumerateArray().ToList();
        AssertEvent(Single(events, "collection.created", col), ws.AdminKeyId, created, col);
        AssertEvent(Single(events, "face.enrolled", face), ws.AdminKeyId, enrolled, col);
        AssertEvent(Single(events, "face.metadata_updated", face), ws.AdminKeyId, updated, col);
        AssertEvent(Single(events, "face.deleted", face), ws.AdminKeyId, deleted, col);
        AssertEvent(Single(events, "key.created", tempId), ws.AdminKeyId, keyCreated, null);
        AssertEvent(Single(events, "key.revoked", tempId), ws.AdminKeyId, revoked, null);
        var denied = Single(events, "auth.forbidden", "/api/v1/keys");
        AssertEvent(denied, readId, forbidden, null);
        Assert.Equal("admin", denied.GetProperty("details").GetProperty("required_scope").GetString());
        Assert.Equal("face", Single(events, "face.enrolled", face).GetProperty("target_type").GetString());
        // Failed authentication belongs to no workspace: it is not listed to this one.
        Assert.DoesNotContain(events, e => e.GetProperty("action").GetString() == "auth.failed");
        Assert.Equal(events.Count, audit.Data.GetProperty("total").GetInt64());
        Assert.Equal(1, audit.Data.GetProperty("total_pages").GetInt32());
        var seqs = events.Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.OrderDescending(), seqs);

        var text = Encoding.UTF8.GetString(audit.Bytes);
        foreach (var secret in new[] { ws.AdminKey, tempKey, readKey, secretMetadata }) Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public async Task Audit_is_admin_only_and_never_shows_another_workspaces_events()
    {
        var ws = await NewWorkspaceAsync();
        var col = await ws.Admin.CreateCollection();
        var (writeKey, _) = await CreateKeyAsync(ws.Admin, "write", "read", "search");
        var denied = await Server.Client(writeKey).Get("/api/v1/audit");
        Assert.Equal((HttpStatusCode.Forbidden, "FORBIDDEN"), (denied.Status, denied.ErrorCode));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Server.Client().Get("/api/v1/audit")).Status);

        var other = await NewWorkspaceAsync();
        var foreign = await AuditAsync(other.Admin);
        Assert.DoesNotContain(foreign, e => e.GetProperty("target_id").GetString() == col || e.GetProperty("key_id").GetString() == ws.AdminKeyId);
        var serverAdmin = await AuditAsync(Server.Admin());
        Assert.DoesNotContain(serverAdmin, e => e.GetProperty("target_id").GetString() == col);
        Assert.Contains(await AuditAsync(ws.Admin), e => e.GetProperty("target_id").GetString() == col);
    }

    [Fact]
    public async Task Action_and_since_filters_select_the_matching_events_newest_first()
    {
        var ws = await NewWorkspaceAsync();
        var first = await ws.Admin.CreateCollection(name: "one");
        var second = await ws.Admin.CreateCollection(name: "two");
        Assert.Equal(HttpStatusCode.OK, (await ws.Admin.Delete($"/api/v1/collections/{first}")).Status);

        var createdOnly = await AuditAsync(ws.Admin, "&action=collection.created");
        Assert.Equal([second, first], createdOnly.Select(e => e.GetProperty("target_id").GetString()!).ToArray());
        var deletedOnly = Assert.Single(await AuditAsync(ws.Admin, "&action=collection.deleted"));
        Assert.Equal(first, deletedOnly.GetProperty("target_id").GetString());
        Assert.Empty(await AuditAsync(ws.Admin, "&action=face.enrolled"));

        var all = await AuditAsync(ws.Admin);
        var cut = DateTimeOffset.Parse(Single(all, "collection.created", second).GetProperty("at").GetString()!);
        var since = await AuditAsync(ws.Admin, "&since=" + Uri.EscapeDataString(cut.ToString("O")));
        Assert.Contains(since, e => e.GetProperty("target_id").GetString() == second);
        Assert.All(since, e => Assert.True(DateTimeOffset.Parse(e.GetProperty("at").GetString()!) >= cut));
        Assert.Empty(await AuditAsync(ws.Admin, "&since=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))));
        Assert.Equal(all.Count, (await AuditAsync(ws.Admin, "&since=2000-01-01T00:00:00Z")).Count);

        var bad = await ws.Admin.Get("/api/v1/audit?since=yesterday");
        Assert.Equal((HttpStatusCode.BadRequest, "VALIDATION_FAILED"), (bad.Status, bad.ErrorCode));
        var page2 = await ws.Admin.Get("/api/v1/audit?page=2&page_size=1&action=collection.created");
        Assert.Equal(first, Assert.Single(page2.Data.GetProperty("items").EnumerateArray()).GetProperty("target_id").GetString());
        Assert.Equal((2L, 2), (page2.Data.GetProperty("total").GetInt64(), page2.Data.GetProperty("total_pages").GetInt32()));
    }

    [Fact]
    public async Task Batch_items_auto_enrolment_and_reference_removal_are_audited_but_failed_items_are_not()
    {
        var ws = await NewWorkspaceAsync();
        var col = await ws.Admin.CreateCollection(new { auto_enroll_threshold = 0.3, check_liveness = false });
        var batch = await ws.Admin.PostForm($"/api/v1/collections/{col}/faces/batch",
            ("images[]", Photos.Verify("Adel_Al-Jubeir", 1)), ("external_ids[]", "adel"),
            ("images[]", Photos.NoFace), ("external_ids[]", "nobody"),
            ("images[]", Photos.Verify("Mary_Carey", 1)), ("external_ids[]", "mary"));
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        var results = batch.Data.GetProperty("results");
        var adel = results[0].GetProperty("data").GetProperty("face_id").GetString()!;
        var mary = results[2].GetProperty("data").GetProperty("face_id").GetString()!;
        var identified = await ws.Admin.Identify(col, Photos.Verify("Adel_Al-Jubeir", 2), ("threshold", "0.3"));
        var auto = identified.Data.GetProperty("auto_enrolled");
        Assert.Equal(adel, auto.GetProperty("face_id").GetString());
        var autoRef = auto.GetProperty("reference_id").GetString()!;
        var removed = await ws.Admin.Delete($"/api/v1/collections/{col}/faces/{adel}/references/{autoRef}");
        Assert.Equal(HttpStatusCode.OK, removed.Status);

        var events = await AuditAsync(ws.Admin);
        AssertEvent(Single(events, "face.enrolled", adel), ws.AdminKeyId, batch, col);
        AssertEvent(Single(events, "face.enrolled", mary), ws.AdminKeyId, batch, col);
        Assert.Equal(2, events.Count(e => e.GetProperty("action").GetString() == "face.enrolled"));
        var autoEvent = Single(events, "reference.auto_enrolled", adel);
        AssertEvent(autoEvent, ws.AdminKeyId, identified, col);
        Assert.Equal(autoRef, autoEvent.GetProperty("details").GetProperty("reference_id").GetString());
        var removedEvent = Single(events, "reference.deleted", adel);
        AssertEvent(removedEvent, ws.AdminKeyId, removed, col);
        Assert.Equal(autoRef, removedEvent.GetProperty("details").GetProperty("reference_id").GetString());
    }

    [Fact]
    public async Task A_wrong_key_is_audited_by_its_display_prefix_only_in_no_workspace()
    {
        var wrong = ApiKeyFormat.Generate();
        var r = await Server.Client(wrong).Get("/api/v1/collections");
        Assert.Equal(HttpStatusCode.Unauthorized, r.Status);
        var store = Server.Services.GetRequiredService<IFaceStore>();
        var failures = await store.ListAuditAsync("", AuditActions.AuthFailed, null, 1, 1000);
        var row = Assert.Single(failures.Items, e => e.RequestId == r.Header("X-Request-Id"));
        Assert.Equal(ApiKeyFormat.DisplayPrefix(wrong), row.TargetId);
        Assert.Null(row.KeyId);
        foreach (var e in failures.Items) Assert.DoesNotContain(wrong, e.TargetId + e.DetailsJson);
    }
}

public sealed class SqliteAuditTests(SqliteVisageServer server) : AuditTests<SqliteVisageServer>(server);

public sealed class PostgresAuditTests(PostgresVisageServer server) : AuditTests<PostgresVisageServer>(server);
