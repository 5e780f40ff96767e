using System.Net;
using Xunit;

namespace Visage.Server.Tests;

/// <summary>Two service instances on one store: each follows the other's writes through the change log.</summary>
public abstract class MultiInstanceTests<TServer>(TServer server) : IClassFixture<TServer> where TServer : VisageServer
{
    /// <summary>How soon another instance must see a write: PostgreSQL notifies at commit; SQLite instances poll each second.</summary>
    protected abstract TimeSpan PropagationBound { get; }

    [Fact]
    public async Task Enroll_metadata_change_and_delete_on_one_instance_reach_identify_on_the_other_within_the_bound()
    {
        await using var second = await server.StartAnotherInstanceAsync();
        var first = server.Admin();
        var col = await first.CreateCollection(new { auto_enroll = false, check_liveness = false });
        // Warm the second instance's pipeline so the first timed identify is not a cold start.
        await second.Admin.Identify(col, Photos.Verify("Juanes", 2));

        var face = (await first.Enroll(col, Photos.Verify("Juanes", 1), "juanes", "{\"v\":1}")).GetProperty("face_id").GetString();
        var enrolledAt = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? seenAt = null;
        while (enrolledAt.Elapsed < TimeSpan.FromSeconds(15))
        {
            // The start of the first identify that finds the face bounds the propagation from above (up to one request).
            var startedAt = enrolledAt.Elapsed;
            var r = await second.Admin.Identify(col, Photos.Verify("Juanes", 2));
            if (r.Status == HttpStatusCode.OK && r.Data.GetProperty("matches").GetArrayLength() > 0) { seenAt = startedAt; break; }
        }
        Assert.NotNull(seenAt);
        Assert.True(seenAt <= PropagationBound, $"the second instance found the face {seenAt!.Value.TotalMilliseconds:F0} ms after enroll");

        // Metadata is read from the store at answer time: the other instance shows a change at once.
        Assert.Equal(HttpStatusCode.OK, (await first.PutJson($"/api/v1/collections/{col}/faces/{face}", new { metadata = new { v = 2 } })).Status);
        var updated = await second.Admin.Identify(col, Photos.Verify("Juanes", 2));
        Assert.Equal(2, updated.Data.GetProperty("matches")[0].GetProperty("metadata").GetProperty("v").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await first.Delete($"/api/v1/collections/{col}/faces/{face}")).Status);
        var gone = await second.Admin.Identify(col, Photos.Verify("Juanes", 2), ("threshold", "-1"));
        Assert.Equal(0, gone.Data.GetProperty("matches").GetArrayLength());
        // And the second instance's /readyz reports its indexes current with the store's change log.
        var ready = await second.Admin.Get("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
    }

    [Fact]
    public async Task A_face_enrolled_on_one_instance_is_found_on_the_other_and_a_deletion_is_seen_at_once()
    {
        await using var second = await server.StartAnotherInstanceAsync();
        var first = server.Admin();
        var col = await first.CreateCollection(new { auto_enroll = false, check_liveness = false });
        var face = (await first.Enroll(col, Photos.Verify("Rebekah_Chantay_Revels", 1), "rebekah")).GetProperty("face_id").GetString();

        ApiResponse? found = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline;)
        {
            found = await second.Admin.Identify(col, Photos.Verify("Rebekah_Chantay_Revels", 2));
            if (found.Status == HttpStatusCode.OK && found.Data.GetProperty("matches").GetArrayLength() > 0) break;
            await Task.Delay(200);
        }
        Assert.Equal("rebekah", found!.Data.GetProperty("matches")[0].GetProperty("external_id").GetString());

        Assert.Equal(HttpStatusCode.OK, (await first.Delete($"/api/v1/collections/{col}/faces/{face}")).Status);
        // No waiting: the other instance reads the store before answering, so a deleted face never appears.
        var after = await second.Admin.Identify(col, Photos.Verify("Rebekah_Chantay_Revels", 2), ("threshold", "-1"));
        Assert.Equal(0, after.Data.GetProperty("matches").GetArrayLength());
    }
}

public sealed class SqliteMultiInstanceTests(SqliteVisageServer server) : MultiInstanceTests<SqliteVisageServer>(server)
{
    protected override TimeSpan PropagationBound => TimeSpan.FromSeconds(2.5);
}
public sealed class PostgresMultiInstanceTests(PostgresVisageServer server) : MultiInstanceTests<PostgresVisageServer>(server)
{
    protected override TimeSpan PropagationBound => TimeSpan.FromSeconds(1);
}
