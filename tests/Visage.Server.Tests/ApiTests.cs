using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Visage.Server.Hosting;
using Visage.Storage;
using Visage.Testing.Images;
using Xunit;

namespace Visage.Server.Tests;

/// <summary>The API contract (API.md) over real HTTP, real models, real photos. Runs once per store.</summary>
public abstract class ApiTests<TServer>(TServer server) : IClassFixture<TServer> where TServer : VisageServer
{
    protected readonly TServer Server = server;
    ApiClient Admin => Server.Admin();

    // ---- operations -------------------------------------------------------------------------

    [Fact]
    public async Task Healthz_and_readyz_report_models_store_and_indexes()
    {
        var anon = Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await anon.Get("/healthz")).Status);
        var ready = await anon.Get("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.True(ready.Json.GetProperty("models_loaded").GetBoolean());
        Assert.True(ready.Json.GetProperty("store_reachable").GetBoolean());
        Assert.True(ready.Json.GetProperty("indexes_loaded").GetBoolean());
    }

    [Fact]
    public async Task Every_answer_carries_a_request_id_and_security_headers_even_errors()
    {
        foreach (var r in new[] { await Server.Client().Get("/healthz"), await Server.Client().Get("/api/v1/collections"), await Admin.Get("/api/v1/nope") })
        {
            Assert.Matches("^req_[0-9a-z]{26}$", r.Header("X-Request-Id"));
            Assert.Equal("nosniff", r.Header("X-Content-Type-Options"));
            Assert.Equal("DENY", r.Header("X-Frame-Options"));
        }
        var missing = await Admin.Get("/api/v1/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.False(missing.Json.GetProperty("success").GetBoolean());
        Assert.Equal(missing.Header("X-Request-Id"), missing.Json.GetProperty("request_id").GetString());
        Assert.False(missing.Header("Access-Control-Allow-Origin").Length > 0);
    }

    [Fact]
    public async Task OpenApi_document_lists_every_resource_with_the_api_key_scheme()
    {
        var doc = await Server.Client().Get("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, doc.Status);
        var paths = doc.Json.GetProperty("paths");
        foreach (var p in new[] { "/api/v1/collections", "/api/v1/collections/{collectionId}/faces", "/api/v1/collections/{collectionId}/identify",
                     "/api/v1/compare", "/api/v1/detect", "/api/v1/keys", "/api/v1/models", "/modules/faces",
                     "/api/v1/collections/{collectionId}/faces/{faceId}/references/{referenceId}/crop" })
            Assert.True(paths.TryGetProperty(p, out _), p);
        Assert.Equal("X-API-Key", doc.Json.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Models_publishes_version_embedding_size_and_three_far_thresholds()
    {
        var r = await Admin.Get("/api/v1/models");
        var model = r.Data[0];
        Assert.Equal(512, model.GetProperty("embedding_size").GetInt32());
        var t = model.GetProperty("thresholds");
        Assert.Equal(3, t.GetArrayLength());
        Assert.True(t[0].GetProperty("threshold").GetSingle() < t[2].GetProperty("threshold").GetSingle());
        Assert.True(model.GetProperty("default_identify_threshold").GetSingle() > model.GetProperty("default_verify_threshold").GetSingle());
    }

    [Fact]
    public async Task Metrics_expose_request_counts_stage_latencies_and_index_sizes()
    {
        var col = await Admin.CreateCollection();
        await Admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes");
        var text = System.Text.Encoding.UTF8.GetString((await Server.Client().Get("/metrics")).Bytes);
        Assert.Contains("visage_http_requests_total{route=\"/api/v1/collections/{collectionId}/faces/\",method=\"POST\",status=\"201\"}", text);
        Assert.Contains("visage_pipeline_stage_duration_seconds_bucket{stage=\"embed\"", text);
        Assert.Contains($"visage_collection_faces{{collection=\"{col}\"}} 1", text);
        Assert.Contains("visage_index_memory_bytes", text);
    }

    // ---- authentication ---------------------------------------------------------------------

    [Fact]
    public async Task Missing_key_is_401_API_KEY_REQUIRED_and_wrong_key_is_401_API_KEY_INVALID()
    {
        var none = await Server.Client().Get("/api/v1/collections");
        Assert.Equal((HttpStatusCode.Unauthorized, "API_KEY_REQUIRED"), (none.Status, none.ErrorCode));
        var wrong = await Server.Client("fr_live_" + new string('x', 32)).Get("/api/v1/collections");
        Assert.Equal((HttpStatusCode.Unauthorized, "API_KEY_INVALID"), (wrong.Status, wrong.ErrorCode));
        var malformed = await Server.Client("hello").Get("/api/v1/collections");
        Assert.Equal("API_KEY_INVALID", malformed.ErrorCode);
    }

    [Fact]
    public async Task Revoked_key_is_refused_at_once()
    {
        var created = await Admin.PostJson("/api/v1/keys", new { name = "temp", scopes = new[] { "read" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var key = created.Data.GetProperty("key").GetString()!;
        Assert.Matches("^fr_live_[0-9A-Za-z]{32}$", key);
        Assert.Equal(HttpStatusCode.OK, (await Server.Client(key).Get("/api/v1/collections")).Status);
        var list = await Admin.Get("/api/v1/keys");
        Assert.DoesNotContain(key, list.ToString());
        Assert.Equal(HttpStatusCode.OK, (await Admin.Delete("/api/v1/keys/" + created.Data.GetProperty("key_id").GetString())).Status);
        var after = await Server.Client(key).Get("/api/v1/collections");
        Assert.Equal((HttpStatusCode.Unauthorized, "API_KEY_INVALID"), (after.Status, after.ErrorCode));
    }

    [Fact]
    public async Task Key_without_the_scope_is_403_FORBIDDEN()
    {
        var readOnly = (await Admin.PostJson("/api/v1/keys", new { name = "ro", scopes = new[] { "read" } })).Data.GetProperty("key").GetString()!;
        var client = Server.Client(readOnly);
        var create = await client.PostJson("/api/v1/collections", new { name = "x" });
        Assert.Equal((HttpStatusCode.Forbidden, "FORBIDDEN"), (create.Status, create.ErrorCode));
        var keys = await client.Get("/api/v1/keys");
        Assert.Equal(HttpStatusCode.Forbidden, keys.Status);
        var col = await Admin.CreateCollection();
        var identify = await client.Identify(col, Photos.Verify("Juanes", 1));
        Assert.Equal("FORBIDDEN", identify.ErrorCode);
    }

    [Fact]
    public async Task Another_workspaces_collection_answers_404_exactly_like_an_unknown_one()
    {
        var ws = await Admin.PostJson("/api/v1/workspaces", new { name = "other" });
        Assert.Equal(HttpStatusCode.Created, ws.Status);
        var other = Server.Client(ws.Data.GetProperty("admin_key").GetProperty("key").GetString());
        var col = await Admin.CreateCollection();
        var face = await Admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes");
        var foreign = await other.Get($"/api/v1/collections/{col}");
        var unknown = await other.Get("/api/v1/collections/col_01j8zzzzzzzzzzzzzzzzzzzzzz");
        Assert.Equal((HttpStatusCode.NotFound, "COLLECTION_NOT_FOUND"), (foreign.Status, foreign.ErrorCode));
        Assert.Equal((unknown.Status, unknown.ErrorCode), (foreign.Status, foreign.ErrorCode));
        Assert.Equal(HttpStatusCode.NotFound, (await other.Get($"/api/v1/collections/{col}/faces/{face.GetProperty("face_id").GetString()}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Identify(col, Photos.Verify("Juanes", 2))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Delete($"/api/v1/collections/{col}")).Status);
        Assert.Equal(0, (await other.Get("/api/v1/collections")).Data.GetProperty("total").GetInt64());
    }

    // ---- collections ------------------------------------------------------------------------

    [Fact]
    public async Task Collection_lifecycle_with_settings_defaults_patch_and_pagination()
    {
        var created = await Admin.PostJson("/api/v1/collections", new { name = "lobby", description = "front door" });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Data.GetProperty("collection_id").GetString()!;
        var settings = created.Data.GetProperty("settings");
        Assert.True(settings.GetProperty("check_liveness").GetBoolean());
        Assert.True(settings.GetProperty("auto_enroll").GetBoolean());
        Assert.Equal(10, settings.GetProperty("max_references_per_face").GetInt32());
        Assert.True(settings.GetProperty("store_face_crops").GetBoolean());
        var eff = created.Data.GetProperty("effective_thresholds");
        Assert.True(eff.GetProperty("auto_enroll").GetSingle() > eff.GetProperty("identify").GetSingle());

        var patched = await Admin.PatchJson($"/api/v1/collections/{id}", new { name = "lobby 2", settings = new { match_threshold = 0.45, auto_enroll = false } });
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("lobby 2", patched.Data.GetProperty("name").GetString());
        Assert.Equal(0.45f, patched.Data.GetProperty("effective_thresholds").GetProperty("identify").GetSingle());
        Assert.Equal(0.45f, patched.Data.GetProperty("effective_thresholds").GetProperty("verify").GetSingle());
        Assert.Equal("front door", patched.Data.GetProperty("description").GetString());

        var bad = await Admin.PatchJson($"/api/v1/collections/{id}", new { settings = new { match_threshold = 7 } });
        Assert.Equal((HttpStatusCode.BadRequest, "VALIDATION_FAILED"), (bad.Status, bad.ErrorCode));
        var unknownSetting = await Admin.PatchJson($"/api/v1/collections/{id}", new { settings = new { colour = "red" } });
        Assert.Equal("VALIDATION_FAILED", unknownSetting.ErrorCode);
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostJson("/api/v1/collections", new { description = "no name" })).ErrorCode);

        var page = await Admin.Get("/api/v1/collections?page=1&page_size=1");
        Assert.Equal(1, page.Data.GetProperty("items").GetArrayLength());
        Assert.True(page.Data.GetProperty("total").GetInt64() >= 1);
        Assert.Equal("VALIDATION_FAILED", (await Admin.Get("/api/v1/collections?page_size=5000")).ErrorCode);

        Assert.Equal(HttpStatusCode.OK, (await Admin.Delete($"/api/v1/collections/{id}")).Status);
        Assert.Equal("COLLECTION_NOT_FOUND", (await Admin.Get($"/api/v1/collections/{id}")).ErrorCode);
    }

    // ---- enrollment -------------------------------------------------------------------------

    [Fact]
    public async Task Enroll_returns_the_face_and_metadata_round_trips_through_get_list_and_put()
    {
        var col = await Admin.CreateCollection(new { check_liveness = true });
        var face = await Admin.Enroll(col, Photos.Verify("George_Clooney", 1), "user_george", """{"name":"George","tier":2}""");
        var faceId = face.GetProperty("face_id").GetString()!;
        Assert.StartsWith("face_", faceId);
        Assert.Equal(1, face.GetProperty("faces_detected").GetInt32());
        Assert.InRange(face.GetProperty("quality_score").GetSingle(), 0.01f, 1f);
        Assert.True(face.GetProperty("liveness_score").ValueKind == JsonValueKind.Number);
        Assert.True(face.GetProperty("bounding_box").GetProperty("width").GetInt32() > 50);
        Assert.Equal("George", face.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", face.GetProperty("created_at").GetString());

        var got = await Admin.Get($"/api/v1/collections/{col}/faces/{faceId}");
        Assert.Equal(2, got.Data.GetProperty("metadata").GetProperty("tier").GetInt32());
        var refs = got.Data.GetProperty("references");
        Assert.Equal(1, refs.GetArrayLength());
        Assert.Equal("enroll", refs[0].GetProperty("source").GetString());

        var put = await Admin.PutJson($"/api/v1/collections/{col}/faces/{faceId}", new { metadata = new { name = "G. Clooney" } });
        Assert.Equal("G. Clooney", put.Data.GetProperty("metadata").GetProperty("name").GetString());
        var list = await Admin.Get($"/api/v1/collections/{col}/faces?external_id=user_george");
        Assert.Equal(1, list.Data.GetProperty("total").GetInt64());
        Assert.Equal("G. Clooney", list.Data.GetProperty("items")[0].GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal(1, (await Admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());
    }

    [Fact]
    public async Task Enroll_accepts_base64_json_with_a_data_url_prefix()
    {
        var col = await Admin.CreateCollection();
        var b64 = "data:image/jpeg;base64," + Convert.ToBase64String(Photos.Verify("Juanes", 1).Bytes);
        var r = await Admin.PostJson($"/api/v1/collections/{col}/faces", new { image_base64 = b64, external_id = "juanes", metadata = new { band = "solo" } });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        Assert.Equal("solo", r.Data.GetProperty("metadata").GetProperty("band").GetString());
    }

    [Fact]
    public async Task Enroll_rejects_a_photo_without_a_face_with_NO_FACE_DETECTED()
    {
        var col = await Admin.CreateCollection();
        var r = await Admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.NoFace), ("external_id", "x"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "NO_FACE_DETECTED"), (r.Status, r.ErrorCode));
        Assert.Equal(0, (await Admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());
    }

    [Fact]
    public async Task Enroll_rejects_blurred_face_with_quality_reasons()
    {
        var col = await Admin.CreateCollection();
        var r = await Admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Blurred), ("external_id", "adel"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "FACE_QUALITY_TOO_LOW"), (r.Status, r.ErrorCode));
        var details = r.Json.GetProperty("error").GetProperty("details");
        Assert.Contains("BLUR", details.GetProperty("reasons").EnumerateArray().Select(e => e.GetString()));
        Assert.True(details.GetProperty("quality_score").GetSingle() < 0.5f);
    }

    [Fact]
    public async Task Enroll_rejects_a_screen_replay_with_LIVENESS_CHECK_FAILED_unless_liveness_is_off()
    {
        var col = await Admin.CreateCollection(new { check_liveness = true });
        var r = await Admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Spoof), ("external_id", "replay"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "LIVENESS_CHECK_FAILED"), (r.Status, r.ErrorCode));
        Assert.True(r.Json.GetProperty("error").GetProperty("details").GetProperty("liveness_score").GetSingle() < 0.05f);
        // Without the liveness check the same photo reaches the quality gate instead.
        var off = await Admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Spoof), ("external_id", "replay"), ("check_liveness", "false"));
        Assert.NotEqual("LIVENESS_CHECK_FAILED", off.ErrorCode);
    }

    [Fact]
    public async Task Enroll_without_liveness_reports_a_null_liveness_score()
    {
        var col = await Admin.CreateCollection(new { check_liveness = false });
        var face = await Admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes");
        Assert.Equal(JsonValueKind.Null, face.GetProperty("liveness_score").ValueKind);
    }

    [Fact]
    public async Task Enroll_validates_external_id_and_metadata()
    {
        var col = await Admin.CreateCollection();
        var path = $"/api/v1/collections/{col}/faces";
        var photo = Photos.Verify("Juanes", 1);
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostForm(path, ("image", photo))).ErrorCode);
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostForm(path, ("image", photo), ("external_id", "a"), ("metadata", "[1,2]"))).ErrorCode);
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostForm(path, ("image", photo), ("external_id", "a"), ("metadata", "{not json"))).ErrorCode);
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostForm(path, ("image", photo), ("external_id", "a"),
            ("metadata", "{\"x\":\"" + new string('a', 17_000) + "\"}"))).ErrorCode);
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostForm(path, ("external_id", "a"))).ErrorCode);
    }

    [Fact]
    public async Task Bad_images_get_their_typed_errors()
    {
        var col = await Admin.CreateCollection();
        var path = $"/api/v1/collections/{col}/faces";
        var garbage = await Admin.PostForm(path, ("image", new Upload("this is not an image"u8.ToArray(), "x.jpg")), ("external_id", "a"));
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_IMAGE_FORMAT"), (garbage.Status, garbage.ErrorCode));
        var truncated = await Admin.PostForm(path, ("image", new Upload(HostileImages.Truncated(Photos.Verify("Juanes", 1).Bytes, 600))), ("external_id", "a"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, truncated.Status);
        var tiny = await Admin.PostForm(path, ("image", Photos.Tiny), ("external_id", "a"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "IMAGE_TOO_SMALL"), (tiny.Status, tiny.ErrorCode));
        var huge = await Admin.PostForm(path, ("image", new Upload(HostileImages.PngDeclaring(Photos.NoFace.Bytes, 10_000, 6_000), "big.png")), ("external_id", "a"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "IMAGE_TOO_LARGE_DIMENSIONS"), (huge.Status, huge.ErrorCode));
        var big = new byte[10 * 1024 * 1024 + 1];
        Photos.Verify("Juanes", 1).Bytes.CopyTo(big, 0);
        var tooLarge = await Admin.PostForm(path, ("image", new Upload(big)), ("external_id", "a"));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "IMAGE_TOO_LARGE"), (tooLarge.Status, tooLarge.ErrorCode));
        // Over the request-body limit: announced by Content-Length and refused before the body is sent.
        var tooLargeBody = await Admin.PostForm(path, expectContinue: true, ("image", new Upload(new byte[40 * 1024 * 1024])), ("external_id", "a"));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "IMAGE_TOO_LARGE"), (tooLargeBody.Status, tooLargeBody.ErrorCode));
        var badBase64 = await Admin.PostJson(path, new { image_base64 = "!!!", external_id = "a" });
        Assert.Equal("VALIDATION_FAILED", badBase64.ErrorCode);
        Assert.Equal(0, (await Admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());
    }

    [Fact]
    public async Task Unknown_collection_face_and_reference_are_404()
    {
        var r = await Admin.PostForm("/api/v1/collections/col_01j8zzzzzzzzzzzzzzzzzzzzzz/faces", ("image", Photos.Verify("Juanes", 1)), ("external_id", "a"));
        Assert.Equal((HttpStatusCode.NotFound, "COLLECTION_NOT_FOUND"), (r.Status, r.ErrorCode));
        Assert.Equal("COLLECTION_NOT_FOUND", (await Admin.Get("/api/v1/collections/garbage")).ErrorCode);
        var col = await Admin.CreateCollection();
        Assert.Equal("FACE_NOT_FOUND", (await Admin.Get($"/api/v1/collections/{col}/faces/face_01j8zzzzzzzzzzzzzzzzzzzzzz")).ErrorCode);
        Assert.Equal("FACE_NOT_FOUND", (await Admin.Delete($"/api/v1/collections/{col}/faces/nope")).ErrorCode);
        var face = (await Admin.Enroll(col, Photos.Verify("Juanes", 1), "j")).GetProperty("face_id").GetString();
        Assert.Equal("REFERENCE_NOT_FOUND", (await Admin.Delete($"/api/v1/collections/{col}/faces/{face}/references/ref_x")).ErrorCode);
        Assert.Equal("FACE_NOT_FOUND", (await Admin.PostForm($"/api/v1/collections/{col}/faces/face_01j8zzzzzzzzzzzzzzzzzzzzzz/verify", ("image", Photos.Verify("Juanes", 2)))).ErrorCode);
    }

    [Fact]
    public async Task Batch_enrolls_good_items_and_reports_bad_ones_independently()
    {
        var col = await Admin.CreateCollection();
        var r = await Admin.PostForm($"/api/v1/collections/{col}/faces/batch",
            ("images[]", Photos.Verify("Juanes", 1)), ("external_ids[]", "juanes"),
            ("images[]", Photos.NoFace), ("external_ids[]", "nobody"),
            ("images[]", Photos.Verify("Mary_Carey", 1)), ("external_ids[]", "mary"),
            ("images[]", new Upload("junk"u8.ToArray())), ("external_ids[]", "junk"));
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(2, r.Data.GetProperty("succeeded").GetInt32());
        Assert.Equal(2, r.Data.GetProperty("failed").GetInt32());
        var results = r.Data.GetProperty("results");
        Assert.True(results[0].GetProperty("success").GetBoolean());
        Assert.Equal("NO_FACE_DETECTED", results[1].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("mary", results[2].GetProperty("data").GetProperty("external_id").GetString());
        Assert.Equal("UNSUPPORTED_IMAGE_FORMAT", results[3].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(2, (await Admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());

        var mismatched = await Admin.PostForm($"/api/v1/collections/{col}/faces/batch",
            ("images[]", Photos.Verify("Juanes", 1)), ("external_ids[]", "a"), ("external_ids[]", "b"));
        Assert.Equal((HttpStatusCode.BadRequest, "VALIDATION_FAILED"), (mismatched.Status, mismatched.ErrorCode));
    }

    [Fact]
    public async Task Idempotency_key_replays_the_first_answer_and_refuses_a_different_body_with_409()
    {
        var col = await Admin.CreateCollection();
        var path = $"/api/v1/collections/{col}/faces";
        var photo = Photos.Verify("Juanes", 1);
        var first = await Admin.PostForm(path, "enroll-juanes-1", ("image", photo), ("external_id", "juanes"));
        var again = await Admin.PostForm(path, "enroll-juanes-1", ("image", photo), ("external_id", "juanes"));
        Assert.Equal(HttpStatusCode.Created, again.Status);
        Assert.Equal(first.Data.GetProperty("face_id").GetString(), again.Data.GetProperty("face_id").GetString());
        Assert.Equal("true", again.Header("Idempotent-Replayed"));
        Assert.Equal(1, (await Admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());
        var other = await Admin.PostForm(path, "enroll-juanes-1", ("image", photo), ("external_id", "someone_else"));
        Assert.Equal((HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_REUSED"), (other.Status, other.ErrorCode));
        var c1 = await Admin.PostJson("/api/v1/collections", new { name = "idem" }, "col-key");
        var c2 = await Admin.PostJson("/api/v1/collections", new { name = "idem" }, "col-key");
        Assert.Equal(c1.Data.GetProperty("collection_id").GetString(), c2.Data.GetProperty("collection_id").GetString());
        Assert.Equal("VALIDATION_FAILED", (await Admin.PostJson("/api/v1/collections", new { name = "idem" }, "bad key!")).ErrorCode);
    }

    [Fact]
    public async Task Housekeeping_forgets_idempotency_keys_past_their_window_and_prunes_the_change_log_but_its_newest_row()
    {
        var key = "hk-" + Guid.NewGuid().ToString("N");
        var first = await Admin.PostJson("/api/v1/collections", new { name = "hk-first" }, key);
        await Admin.Enroll(first.Data.GetProperty("collection_id").GetString()!, Photos.Verify("Juanes", 1), "juanes");
        await Admin.Enroll(first.Data.GetProperty("collection_id").GetString()!, Photos.Verify("Mary_Carey", 1), "mary");
        var store = Server.Services.GetRequiredService<IFaceStore>();
        long latest = await store.GetLatestChangeSeqAsync();
        var housekeeping = new Housekeeping(store, new HousekeepingOptions { IdempotencyWindow = TimeSpan.Zero, ChangeRetention = TimeSpan.Zero },
            Server.Services.GetRequiredService<Readiness>(), TimeProvider.System, NullLogger<Housekeeping>.Instance);

        var (idempotency, changes) = await housekeeping.RunOnceAsync(CancellationToken.None);

        Assert.True(idempotency >= 1, $"pruned {idempotency} idempotency records");
        Assert.True(changes >= 1, $"pruned {changes} change rows");
        Assert.Equal(latest, await store.GetLatestChangeSeqAsync());
        Assert.Equal(latest, await store.GetOldestChangeSeqAsync());
        // Past the window the same key with another body is a new request, not 409.
        var second = await Admin.PostJson("/api/v1/collections", new { name = "hk-second" }, key);
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.NotEqual(first.Data.GetProperty("collection_id").GetString(), second.Data.GetProperty("collection_id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Server.Client().Get("/readyz")).Status);
    }

    [Fact]
    public async Task A_change_follower_behind_a_pruned_change_log_reloads_its_indexes_from_the_store()
    {
        var col = await Admin.CreateCollection(new { auto_enroll = false, check_liveness = false });
        await Admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes");
        await Admin.Enroll(col, Photos.Verify("Mary_Carey", 1), "mary");
        var store = Server.Services.GetRequiredService<IFaceStore>();
        // An instance whose follower last saw seq 0, as one cut off from the store for longer than the log's retention.
        using var behind = new Visage.Service.IndexManager(d => Visage.Search.VectorIndexFactory.Create(d), 512);
        var follower = new ChangeFollower(store, behind, new Readiness(), NullLogger<ChangeFollower>.Instance);
        await store.PruneChangesAsync(DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(await store.GetOldestChangeSeqAsync() > 1);

        await follower.CatchUpAsync(CancellationToken.None);

        Assert.Equal(2, behind.Stats(col).Faces);
        Assert.Equal(await store.GetLatestChangeSeqAsync(), follower.Position);
        var probe = Server.Services.GetRequiredService<Visage.Engine.IFaceEngine>().Analyze(Photos.Verify("Mary_Carey", 2).Bytes, Visage.Engine.AnalyzeOptions.Default);
        Assert.Equal("mary", Assert.Single(behind.Search(col, probe.Subject!.Embedding, 1, 0.5f)).ExternalId);
    }

    // ---- search -----------------------------------------------------------------------------

    [Fact]
    public async Task Identify_finds_the_enrolled_person_once_per_external_id_and_returns_empty_for_strangers()
    {
        var col = await Admin.CreateCollection(new { auto_enroll = false, check_liveness = false });
        await Admin.Enroll(col, Photos.Verify("Mary_Carey", 1), "mary", """{"name":"Mary"}""");
        await Admin.Enroll(col, Photos.Verify("Mary_Carey", 2), "mary");
        await Admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes");
        var hit = await Admin.Identify(col, Photos.Verify("Mary_Carey", 4));
        Assert.Equal(HttpStatusCode.OK, hit.Status);
        var matches = hit.Data.GetProperty("matches");
        Assert.Equal(1, matches.GetArrayLength());
        Assert.Equal("mary", matches[0].GetProperty("external_id").GetString());
        Assert.True(matches[0].GetProperty("similarity").GetSingle() >= 0.5f);
        Assert.Equal(JsonValueKind.Null, hit.Data.GetProperty("auto_enrolled").ValueKind);
        Assert.True(hit.Data.GetProperty("query_face").GetProperty("bounding_box").GetProperty("width").GetInt32() > 0);

        var stranger = await Admin.Identify(col, Photos.Verify("Russell_Crowe", 1));
        Assert.Equal(HttpStatusCode.OK, stranger.Status);
        Assert.Equal(0, stranger.Data.GetProperty("matches").GetArrayLength());

        var all = await Admin.Identify(col, Photos.Verify("Mary_Carey", 4), ("threshold", "-1"), ("top_k", "10"));
        var ids = all.Data.GetProperty("matches").EnumerateArray().Select(m => m.GetProperty("external_id").GetString()).ToList();
        Assert.Equal(["mary", "juanes"], ids);
        Assert.Equal("VALIDATION_FAILED", (await Admin.Identify(col, Photos.Verify("Mary_Carey", 4), ("top_k", "0"))).ErrorCode);
        Assert.Equal("NO_FACE_DETECTED", (await Admin.Identify(col, Photos.NoFace)).ErrorCode);
    }

    [Fact]
    public async Task Deleted_face_is_never_returned_by_identify()
    {
        var col = await Admin.CreateCollection(new { auto_enroll = false, check_liveness = false });
        var face = (await Admin.Enroll(col, Photos.Verify("Paul_Tagliabue", 1), "paul")).GetProperty("face_id").GetString();
        Assert.Equal(1, (await Admin.Identify(col, Photos.Verify("Paul_Tagliabue", 2))).Data.GetProperty("matches").GetArrayLength());
        var deleted = await Admin.Delete($"/api/v1/collections/{col}/faces/{face}");
        Assert.True(deleted.Data.GetProperty("deleted").GetBoolean());
        var after = await Admin.Identify(col, Photos.Verify("Paul_Tagliabue", 2), ("threshold", "-1"));
        Assert.Equal(0, after.Data.GetProperty("matches").GetArrayLength());
        Assert.Equal("FACE_NOT_FOUND", (await Admin.Get($"/api/v1/collections/{col}/faces/{face}")).ErrorCode);
    }

    [Fact]
    public async Task Auto_enroll_adds_references_up_to_the_cap_and_an_auto_reference_can_be_removed_but_not_the_primary()
    {
        var col = await Admin.CreateCollection(new { max_references_per_face = 2, auto_enroll_threshold = 0.3, check_liveness = false });
        var faceId = (await Admin.Enroll(col, Photos.Verify("Adel_Al-Jubeir", 1), "adel")).GetProperty("face_id").GetString()!;
        string? lastRef = null;
        for (int n = 2; n <= 3; n++)
        {
            var r = await Admin.Identify(col, Photos.Verify("Adel_Al-Jubeir", n), ("threshold", "0.3"));
            Assert.Equal(faceId, r.Data.GetProperty("auto_enrolled").GetProperty("face_id").GetString());
            lastRef = r.Data.GetProperty("auto_enrolled").GetProperty("reference_id").GetString();
        }
        var refs = (await Admin.Get($"/api/v1/collections/{col}/faces/{faceId}")).Data.GetProperty("references");
        Assert.Equal(2, refs.GetArrayLength()); // the cap: primary + the newest auto one replaced the oldest
        var sources = refs.EnumerateArray().Select(x => x.GetProperty("source").GetString()).Order().ToList();
        Assert.Equal(["auto", "enroll"], sources);
        Assert.Contains(lastRef, refs.EnumerateArray().Select(x => x.GetProperty("reference_id").GetString()));

        var primary = refs.EnumerateArray().First(x => x.GetProperty("source").GetString() == "enroll").GetProperty("reference_id").GetString();
        Assert.Equal((HttpStatusCode.Conflict, "PRIMARY_REFERENCE_PROTECTED"),
            ((await Admin.Delete($"/api/v1/collections/{col}/faces/{faceId}/references/{primary}")).Status,
             (await Admin.Delete($"/api/v1/collections/{col}/faces/{faceId}/references/{primary}")).ErrorCode));
        Assert.Equal(HttpStatusCode.OK, (await Admin.Delete($"/api/v1/collections/{col}/faces/{faceId}/references/{lastRef}")).Status);
        Assert.Equal(1, (await Admin.Get($"/api/v1/collections/{col}/faces/{faceId}")).Data.GetProperty("references").GetArrayLength());
        var off = await Admin.Identify(col, Photos.Verify("Adel_Al-Jubeir", 2), ("auto_enroll", "false"));
        Assert.Equal(JsonValueKind.Null, off.Data.GetProperty("auto_enrolled").ValueKind);
    }

    [Fact]
    public async Task Crop_of_a_reference_is_a_112_pixel_png()
    {
        var col = await Admin.CreateCollection();
        var face = await Admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes");
        var refId = face.GetProperty("reference_id").GetString();
        var crop = await Admin.Get($"/api/v1/collections/{col}/faces/{face.GetProperty("face_id").GetString()}/references/{refId}/crop");
        Assert.Equal(HttpStatusCode.OK, crop.Status);
        Assert.Equal("image/png", crop.Header("Content-Type"));
        Assert.Equal(0x89, crop.Bytes[0]);
        Assert.Equal(112, (crop.Bytes[16] << 24) | (crop.Bytes[17] << 16) | (crop.Bytes[18] << 8) | crop.Bytes[19]);
    }

    [Fact]
    public async Task Verify_against_a_face_and_against_a_person_matches_the_same_person_only()
    {
        var col = await Admin.CreateCollection();
        var face = (await Admin.Enroll(col, Photos.Verify("Maria_Soledad_Alvear_Valenzuela", 1), "maria")).GetProperty("face_id").GetString();
        await Admin.Enroll(col, Photos.Verify("Maria_Soledad_Alvear_Valenzuela", 2), "maria");
        var same = await Admin.PostForm($"/api/v1/collections/{col}/faces/{face}/verify", ("image", Photos.Verify("Maria_Soledad_Alvear_Valenzuela", 3)));
        Assert.True(same.Data.GetProperty("match").GetBoolean(), same.ToString());
        Assert.Equal(0.33f, same.Data.GetProperty("threshold").GetSingle());
        var other = await Admin.PostForm($"/api/v1/collections/{col}/faces/{face}/verify", ("image", Photos.Verify("Owen_Wilson", 1)));
        Assert.False(other.Data.GetProperty("match").GetBoolean());
        var person = await Admin.PostForm($"/api/v1/collections/{col}/verify", ("image", Photos.Verify("Maria_Soledad_Alvear_Valenzuela", 3)), ("external_id", "maria"));
        Assert.True(person.Data.GetProperty("match").GetBoolean());
        Assert.Equal("maria", person.Data.GetProperty("external_id").GetString());
        Assert.True(person.Data.GetProperty("similarity").GetSingle() >= same.Data.GetProperty("similarity").GetSingle());
        var nobody = await Admin.PostForm($"/api/v1/collections/{col}/verify", ("image", Photos.Verify("Maria_Soledad_Alvear_Valenzuela", 3)), ("external_id", "ghost"));
        Assert.Equal(HttpStatusCode.NotFound, nobody.Status);
    }

    [Fact]
    public async Task Compare_and_detect_answer_for_two_photos_and_every_face()
    {
        var same = await Admin.PostForm("/api/v1/compare", ("image_a", Photos.Verify("Russell_Crowe", 1)), ("image_b", Photos.Verify("Russell_Crowe", 2)));
        Assert.True(same.Data.GetProperty("match").GetBoolean(), same.ToString());
        var diff = await Admin.PostForm("/api/v1/compare", ("image_a", Photos.Verify("Russell_Crowe", 1)), ("image_b", Photos.Verify("Martha_Burk", 1)));
        Assert.False(diff.Data.GetProperty("match").GetBoolean());
        Assert.True(diff.Data.GetProperty("similarity").GetSingle() < same.Data.GetProperty("similarity").GetSingle());
        var noFace = await Admin.PostForm("/api/v1/compare", ("image_a", Photos.Verify("Russell_Crowe", 1)), ("image_b", Photos.NoFace));
        Assert.Equal("NO_FACE_DETECTED", noFace.ErrorCode);

        var detect = await Admin.PostForm("/api/v1/detect", ("image", Photos.Verify("Russell_Crowe", 1)));
        var f = detect.Data.GetProperty("faces")[0];
        Assert.Equal(5, f.GetProperty("landmarks").GetArrayLength());
        Assert.Equal(2, f.GetProperty("landmarks")[0].GetArrayLength());
        Assert.True(f.GetProperty("quality").GetProperty("pose").TryGetProperty("yaw", out _));
        Assert.True(f.GetProperty("quality").TryGetProperty("eyes_open", out _));
        Assert.Equal(0, (await Admin.PostForm("/api/v1/detect", ("image", Photos.NoFace))).Data.GetProperty("faces").GetArrayLength());
    }

    [Fact]
    public async Task Identify_racing_a_delete_never_returns_the_face_once_the_delete_has_answered()
    {
        var col = await Admin.CreateCollection(new { auto_enroll = true, auto_enroll_threshold = 0.3, check_liveness = false });
        var face = (await Admin.Enroll(col, Photos.Verify("Justin_Leonard", 1), "justin")).GetProperty("face_id").GetString()!;
        var probe = Photos.Verify("Justin_Leonard", 3);
        long deletedAt = long.MaxValue;
        var searches = Enumerable.Range(0, 6).Select(async _ =>
        {
            var seen = new List<(long Started, bool Found)>();
            for (int i = 0; i < 4; i++)
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var r = await Admin.Identify(col, probe, ("threshold", "-1"));
                seen.Add((started, r.ToString().Contains(face)));
            }
            return seen;
        }).ToList();
        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.OK, (await Admin.Delete($"/api/v1/collections/{col}/faces/{face}")).Status);
        Interlocked.Exchange(ref deletedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        var all = (await Task.WhenAll(searches)).SelectMany(x => x).ToList();
        Assert.DoesNotContain(all, s => s.Started > deletedAt && s.Found);
        // Auto-enrolment raced the delete too: nothing of the face may survive in store or index.
        Assert.Equal(0, (await Admin.Identify(col, probe, ("threshold", "-1"))).Data.GetProperty("matches").GetArrayLength());
        Assert.Equal(0, (await Admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());
    }

    [Fact]
    public async Task Dashboard_is_served_at_ui_with_index_html_for_client_routes_when_built()
    {
        bool built = File.Exists(Path.Combine(Visage.Testing.TestData.RepoRoot, "src", "Visage.Server", "wwwroot", "ui", "index.html"));
        var root = await Server.Client().Get("/ui/");
        var deep = await Server.Client().Get("/ui/collections/col_x");
        if (built)
        {
            Assert.Equal((HttpStatusCode.OK, "text/html"), (root.Status, root.Message.Content.Headers.ContentType?.MediaType));
            Assert.Equal(HttpStatusCode.OK, deep.Status);
            Assert.Equal(root.Bytes, deep.Bytes);
            Assert.Contains("default-src 'self'", root.Header("Content-Security-Policy"));
        }
        else Assert.Equal((HttpStatusCode.NotFound, "NOT_FOUND"), (root.Status, root.ErrorCode));
    }

    // ---- compatibility endpoint -------------------------------------------------------------

    [Fact]
    public async Task Compat_modules_faces_adds_a_face_and_answers_its_numeric_codes()
    {
        var col = await Admin.CreateCollection();
        var image = Convert.ToBase64String(Photos.Verify("Martha_Burk", 1).Bytes);
        var ok = await Admin.PostJson("/modules/faces", new Dictionary<string, object> { ["collectionId"] = col, ["userName"] = "Martha", ["faceImage"] = image });
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal("Face added successfully", ok.Json.GetProperty("message").GetString());
        var faceId = ok.Json.GetProperty("faceId").GetString();
        Assert.StartsWith("ref_", ok.Json.GetProperty("metaFaceId").GetString());
        var stored = await Admin.Get($"/api/v1/collections/{col}/faces/{faceId}");
        Assert.Equal("Martha", stored.Data.GetProperty("external_id").GetString());
        Assert.Equal("Martha", stored.Data.GetProperty("metadata").GetProperty("name").GetString());

        async Task ExpectCode(int code, Dictionary<string, object> body)
        {
            var r = await Admin.PostJson("/modules/faces", body);
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal(code, r.Json.GetProperty("errorCode").GetInt32());
        }
        await ExpectCode(6010, new() { ["userName"] = "x", ["faceImage"] = image });
        await ExpectCode(6013, new() { ["collectionId"] = "col_01j8zzzzzzzzzzzzzzzzzzzzzz", ["userName"] = "x", ["faceImage"] = image });
        await ExpectCode(6012, new() { ["collectionId"] = col, ["userName"] = "x", ["faceImage"] = Convert.ToBase64String(Photos.NoFace.Bytes) });
        var live = await Admin.CreateCollection(new { check_liveness = true });
        await ExpectCode(6015, new() { ["collectionId"] = live, ["userName"] = "x", ["faceImage"] = Convert.ToBase64String(Photos.Spoof.Bytes) });
        await ExpectCode(6017, new() { ["collectionId"] = col, ["userName"] = "x", ["faceImage"] = Convert.ToBase64String("nope"u8.ToArray()) });
        await ExpectCode(6016, new() { ["collectionId"] = col, ["userName"] = "x", ["faceImage"] = Convert.ToBase64String(new byte[11 * 1024 * 1024]) });

        var noKey = await Server.Client().PostJson("/modules/faces", new Dictionary<string, object> { ["collectionId"] = col });
        Assert.Equal(HttpStatusCode.Forbidden, noKey.Status);
        Assert.Equal("API Key is required", noKey.Json.GetProperty("message").GetString());
        var badKey = await Server.Client("fr_live_" + new string('q', 32)).PostJson("/modules/faces", new Dictionary<string, object> { ["collectionId"] = col });
        Assert.Equal("Access Denied: API Key is unavailable", badKey.Json.GetProperty("message").GetString());
    }
}

public sealed class SqliteApiTests(SqliteVisageServer server) : ApiTests<SqliteVisageServer>(server);

public sealed class PostgresApiTests(PostgresVisageServer server) : ApiTests<PostgresVisageServer>(server);
