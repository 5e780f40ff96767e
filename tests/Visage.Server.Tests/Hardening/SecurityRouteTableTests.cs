using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Visage.Server.Http;
using Visage.Service;
using Xunit;

namespace Visage.Server.Tests.Hardening;

/// <summary>Every level of the framework and the service logging at Trace, so that a key written to any log is seen.</summary>
public sealed class TraceLoggingVisageServer : VisageServer
{
    protected override IEnumerable<string> ExtraArgs => ["--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft.AspNetCore=Trace"];
}

public sealed class CorsEnabledVisageServer : VisageServer
{
    public const string Origin = "https://app.example";
    protected override IEnumerable<string> ExtraArgs => ["--CorsOrigins:0=" + Origin];
}

/// <summary>Collects every log message the service writes, formatted, exceptions included.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    readonly List<string> _lines = [];
    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{category} {logLevel}: {formatter(state, exception)} {exception} {state}";
            lock (owner._lines) owner._lines.Add(line);
        }
    }
}

/// <summary>The route table itself is the test list: a route added without its scope check, or answering another
/// workspace's ids differently from unknown ones, fails here without anyone writing a test for it.</summary>
public sealed class SecurityRouteTableTests(TraceLoggingVisageServer server) : IClassFixture<TraceLoggingVisageServer>
{
    const string UnknownCollection = "col_01j00000000000000000000000", UnknownFace = "face_01j00000000000000000000000",
        UnknownReference = "ref_01j00000000000000000000000", UnknownKey = "key_01j00000000000000000000000";

    sealed record Route(string Method, string Pattern, string? Scope, bool TakesImages);

    List<Route> Routes()
    {
        var routes = new List<Route>();
        foreach (var e in server.Services.GetRequiredService<EndpointDataSource>().Endpoints)
        {
            if (e is not RouteEndpoint re || re.RoutePattern.RawText is not { } raw) continue;
            if (!raw.StartsWith("/api/", StringComparison.Ordinal) && !raw.StartsWith("/modules/", StringComparison.Ordinal)) continue;
            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            bool images = false;
            foreach (var a in e.Metadata.GetOrderedMetadata<IAcceptsMetadata>())
                foreach (var t in a.ContentTypes) images |= t == "multipart/form-data";
            foreach (var m in methods)
                routes.Add(new Route(m, raw.TrimEnd('/'), e.Metadata.GetMetadata<RequireApiKey>()?.Scope, images));
        }
        return routes;
    }

    static string Fill(string pattern, string col, string face, string reference, string key) => pattern
        .Replace("{collectionId}", col).Replace("{faceId}", face).Replace("{referenceId}", reference).Replace("{keyId}", key);

    static HttpRequestMessage Request(Route r, string path, string? key, int embeddingSize = 4)
    {
        var request = new HttpRequestMessage(new HttpMethod(r.Method), path);
        if (key is not null) request.Headers.Add("X-API-Key", key);
        if (r.Method is "POST" or "PUT" or "PATCH")
        {
            if (r.TakesImages)
            {
                var photo = Photos.Verify("Juanes", 1).Bytes;
                var form = new MultipartFormDataContent();
                foreach (var name in (string[])["image", "images", "image_a", "image_b"]) form.Add(new ByteArrayContent(photo), name, "p.jpg");
                form.Add(new StringContent("intruder"), "external_id");
                form.Add(new StringContent("intruder"), "external_ids");
                request.Content = form;
            }
            else request.Content = JsonContent.Create(new
            {
                name = "intruder", metadata = new { k = 1 }, scopes = new[] { "read" },
                faces = new[] { new { external_id = "intruder", embedding = new float[embeddingSize] } },
            });
        }
        return request;
    }

    [Fact]
    public void Every_api_route_carries_a_known_scope_in_its_auth_metadata()
    {
        var routes = Routes();
        Assert.True(routes.Count >= 20, $"only {routes.Count} routes found");
        foreach (var r in routes)
            Assert.True(r.Scope is not null && Scopes.All.Contains(r.Scope), $"{r.Method} {r.Pattern} has no RequireApiKey scope");
    }

    [Fact]
    public async Task Every_api_route_refuses_missing_wrong_revoked_and_out_of_scope_keys_with_the_envelope()
    {
        var admin = server.Admin();
        var scoped = new Dictionary<string, string>();
        foreach (var s in Scopes.All) scoped[s] = await CreateKey(admin, [s]);
        var (revoked, revokedId) = await CreateKeyWithId(admin, [.. Scopes.All]);
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/keys/{revokedId}")).Status);
        var wrong = ApiKeyFormat.Generate();
        var anon = server.Client();
        int calls = 0;

        foreach (var r in Routes())
        {
            if (!r.Pattern.StartsWith("/api/v1/", StringComparison.Ordinal)) continue;   // the compat route has its own 403 shape
            var path = Fill(r.Pattern, UnknownCollection, UnknownFace, UnknownReference, UnknownKey);
            await Expect(r, path, null, HttpStatusCode.Unauthorized, "API_KEY_REQUIRED");
            await Expect(r, path, wrong, HttpStatusCode.Unauthorized, "API_KEY_INVALID");
            await Expect(r, path, revoked, HttpStatusCode.Unauthorized, "API_KEY_INVALID");
            foreach (var (scope, key) in scoped)
                if (scope != r.Scope) await Expect(r, path, key, HttpStatusCode.Forbidden, "FORBIDDEN");
        }
        Assert.True(calls > 100, $"{calls} calls");

        async Task Expect(Route r, string path, string? key, HttpStatusCode status, string code)
        {
            calls++;
            var answer = await anon.Send(Request(r, path, key));
            Assert.True(answer.Status == status && answer.ErrorCode == code, $"{r.Method} {path}: expected {(int)status} {code}, got {answer}");
            AssertSafeErrorAnswer(answer);
        }
    }

    [Fact]
    public async Task Every_route_answers_another_workspaces_ids_exactly_like_unknown_ids_and_leaves_its_data_alone()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(name: "workspace-a");
        var face = await admin.Enroll(col, Photos.Verify("Juanes", 1), "secret-person", "{\"secret\":\"A-data\"}");
        var faceId = face.GetProperty("face_id").GetString()!;
        var refId = (await admin.Get($"/api/v1/collections/{col}/faces/{faceId}")).Data.GetProperty("references")[0].GetProperty("reference_id").GetString()!;
        var (_, keyId) = await CreateKeyWithId(admin, ["read"]);
        var workspace = await admin.PostJson("/api/v1/workspaces", new { name = "workspace-b" });
        Assert.Equal(HttpStatusCode.Created, workspace.Status);
        var other = server.Client(workspace.Data.GetProperty("admin_key").GetProperty("key").GetString());
        int embeddingSize = (await admin.Get("/api/v1/models")).Data[0].GetProperty("embedding_size").GetInt32();
        int compared = 0;

        foreach (var r in Routes())
        {
            if (!r.Pattern.Contains('{') || !r.Pattern.StartsWith("/api/v1/", StringComparison.Ordinal)) continue;
            var theirs = await other.Send(Request(r, Fill(r.Pattern, col, faceId, refId, keyId), null, embeddingSize));
            var unknown = await other.Send(Request(r, Fill(r.Pattern, UnknownCollection, UnknownFace, UnknownReference, UnknownKey), null, embeddingSize));
            Assert.True(theirs.Status == HttpStatusCode.NotFound, $"{r.Method} {r.Pattern} with workspace A's ids: {theirs}");
            Assert.Equal((unknown.Status, unknown.ErrorCode), (theirs.Status, theirs.ErrorCode));
            var text = Encoding.UTF8.GetString(theirs.Bytes);
            Assert.DoesNotContain("secret-person", text);
            Assert.DoesNotContain("A-data", text);
            compared++;
        }
        Assert.True(compared >= 12, $"{compared} routes with ids");

        // Nothing of workspace A was changed, enrolled into or deleted by workspace B's attempts.
        var after = await admin.Get($"/api/v1/collections/{col}/faces/{faceId}");
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal("A-data", after.Data.GetProperty("metadata").GetProperty("secret").GetString());
        Assert.Equal(1, (await admin.Get($"/api/v1/collections/{col}/faces")).Data.GetProperty("total").GetInt32());
        Assert.Equal("workspace-a", (await admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("name").GetString());
        var key = (await admin.Get("/api/v1/keys")).Data.EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == keyId);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, key.GetProperty("revoked_at").ValueKind);
    }

    [Fact]
    public async Task Keys_never_reach_the_logs_or_the_data_files_in_clear()
    {
        var capture = new CapturingLoggerProvider();
        server.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        var admin = server.Admin();
        var (created, keyId) = await CreateKeyWithId(admin, ["read", "search"]);
        var wrong = ApiKeyFormat.Generate();
        var user = server.Client(created);
        Assert.Equal(HttpStatusCode.OK, (await user.Get("/api/v1/collections")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client(wrong).Get("/api/v1/collections")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client("fr_live_short").Get("/api/v1/collections")).Status);
        // A key pasted into the URL is refused, and must not be written down on its way in either.
        var inUrl = await server.Client().Get("/api/v1/collections?api_key=" + created);
        Assert.Equal(HttpStatusCode.BadRequest, inUrl.Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/keys/{keyId}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Get("/api/v1/collections")).Status);

        var lines = capture.Lines;
        Assert.True(lines.Count > 10, $"only {lines.Count} log lines captured: the capture does not work");
        foreach (var secret in (string[])[created, wrong, server.AdminKey])
            foreach (var line in lines) Assert.False(line.Contains(secret, StringComparison.Ordinal), "a key in the log: " + line);

        foreach (var file in Directory.GetFiles(server.DataDir, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            using (var f = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            { bytes = new byte[f.Length]; f.ReadExactly(bytes); }
            foreach (var secret in (string[])[created, server.AdminKey])
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds a key in clear");
        }
    }

    [Fact]
    public async Task Api_answers_carry_security_headers_no_store_and_no_cors_by_default()
    {
        var admin = server.Admin();
        foreach (var answer in new[] { await admin.Get("/api/v1/collections"), await server.Client().Get("/api/v1/collections"), await admin.Get("/api/v1/nope") })
        {
            Assert.Equal("nosniff", answer.Header("X-Content-Type-Options"));
            Assert.Equal("DENY", answer.Header("X-Frame-Options"));
            Assert.Contains("frame-ancestors 'none'", answer.Header("Content-Security-Policy"));
            Assert.Equal("no-referrer", answer.Header("Referrer-Policy"));
            Assert.Contains("no-store", answer.Header("Cache-Control"));
            Assert.Equal("", answer.Header("Access-Control-Allow-Origin"));
        }
        var withOrigin = new HttpRequestMessage(HttpMethod.Get, "/api/v1/collections");
        withOrigin.Headers.Add("Origin", "https://evil.example");
        Assert.Equal("", (await admin.Send(withOrigin)).Header("Access-Control-Allow-Origin"));
        var preflight = await server.Client().Send(Preflight("https://evil.example"));
        Assert.Equal("", preflight.Header("Access-Control-Allow-Origin"));
        Assert.Equal("", preflight.Header("Access-Control-Allow-Methods"));
        Assert.True((int)preflight.Status >= 400, preflight.ToString());
    }

    internal static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/collections");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        return request;
    }

    static void AssertSafeErrorAnswer(ApiResponse answer)
    {
        var text = Encoding.UTF8.GetString(answer.Bytes);
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
        Assert.StartsWith("req_", answer.Json.GetProperty("request_id").GetString());
        Assert.Equal("nosniff", answer.Header("X-Content-Type-Options"));
        Assert.Contains("no-store", answer.Header("Cache-Control"));
    }

    static async Task<string> CreateKey(ApiClient admin, string[] scopes) => (await CreateKeyWithId(admin, scopes)).Key;

    static async Task<(string Key, string Id)> CreateKeyWithId(ApiClient admin, string[] scopes)
    {
        var r = await admin.PostJson("/api/v1/keys", new { name = "t", scopes });
        Assert.Equal(HttpStatusCode.Created, r.Status);
        return (r.Data.GetProperty("key").GetString()!, r.Data.GetProperty("key_id").GetString()!);
    }
}

public sealed class CorsConfiguredTests(CorsEnabledVisageServer server) : IClassFixture<CorsEnabledVisageServer>
{
    [Fact]
    public async Task Configured_cors_allows_its_origin_only()
    {
        var allowed = await server.Client().Send(SecurityRouteTableTests.Preflight(CorsEnabledVisageServer.Origin));
        Assert.Equal(CorsEnabledVisageServer.Origin, allowed.Header("Access-Control-Allow-Origin"));
        var other = await server.Client().Send(SecurityRouteTableTests.Preflight("https://evil.example"));
        Assert.Equal("", other.Header("Access-Control-Allow-Origin"));
        var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/collections");
        get.Headers.Add("Origin", CorsEnabledVisageServer.Origin);
        Assert.Equal(CorsEnabledVisageServer.Origin, (await server.Admin().Send(get)).Header("Access-Control-Allow-Origin"));
    }
}
