using System.Net;
using Xunit;

namespace Visage.Server.Tests;

/// <summary>A restart rebuilds every index from the store: enrolled faces are found again, deleted ones stay gone.</summary>
public abstract class RestartTests<TServer>(TServer server) : IClassFixture<TServer> where TServer : VisageServer
{
    [Fact]
    public async Task Restart_rebuilds_the_index_from_the_store_and_deleted_faces_stay_gone()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(new { auto_enroll = false, check_liveness = false });
        await admin.Enroll(col, Photos.Verify("Martha_Burk", 1), "martha");
        var gone = (await admin.Enroll(col, Photos.Verify("Tubby_Smith", 1), "tubby")).GetProperty("face_id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/collections/{col}/faces/{gone}")).Status);

        await server.RestartAsync();
        admin = server.Admin();

        Assert.Equal(HttpStatusCode.OK, (await server.Client().Get("/readyz")).Status);
        var found = await admin.Identify(col, Photos.Verify("Martha_Burk", 2));
        Assert.Equal("martha", found.Data.GetProperty("matches")[0].GetProperty("external_id").GetString());
        var deleted = await admin.Identify(col, Photos.Verify("Tubby_Smith", 2), ("threshold", "-1"), ("top_k", "10"));
        Assert.DoesNotContain("tubby", deleted.ToString());
        Assert.Equal(1, (await admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());
    }
}

public sealed class SqliteRestartTests(SqliteVisageServer server) : RestartTests<SqliteVisageServer>(server);
public sealed class PostgresRestartTests(PostgresVisageServer server) : RestartTests<PostgresVisageServer>(server);

public sealed class OverloadTests(TinyPoolVisageServer server) : IClassFixture<TinyPoolVisageServer>
{
    [Fact]
    public async Task Burst_beyond_the_inference_queue_is_refused_with_503_SERVICE_OVERLOADED_and_Retry_After()
    {
        var admin = server.Admin();
        var photo = Photos.Verify("CompreFace_sample_personA", 1); // a large photo keeps the one worker busy
        var burst = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => admin.PostForm("/api/v1/detect", ("image", photo))));
        Assert.Contains(burst, r => r.Status == HttpStatusCode.OK);
        var refused = burst.Where(r => r.Status == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal("SERVICE_OVERLOADED", r.ErrorCode));
        Assert.All(refused, r => Assert.Equal("1", r.Header("Retry-After")));
        // The service recovers as soon as the burst is over.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostForm("/api/v1/detect", ("image", photo))).Status);
    }
}
