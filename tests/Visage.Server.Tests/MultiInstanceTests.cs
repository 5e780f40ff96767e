using System.Net;
using Xunit;

namespace Visage.Server.Tests;

/// <summary>Two service instances on one store: each follows the other's writes through the change log.</summary>
public abstract class MultiInstanceTests<TServer>(TServer server) : IClassFixture<TServer> where TServer : VisageServer
{
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

public sealed class SqliteMultiInstanceTests(SqliteVisageServer server) : MultiInstanceTests<SqliteVisageServer>(server);
public sealed class PostgresMultiInstanceTests(PostgresVisageServer server) : MultiInstanceTests<PostgresVisageServer>(server);
