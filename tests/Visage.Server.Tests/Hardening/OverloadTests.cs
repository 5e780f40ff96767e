using System.Diagnostics;
using System.Net;
using Visage.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Server.Tests.Hardening;

/// <summary>One inference worker and room for two waiting: a burst of sixteen enrolments cannot all be served at once.</summary>
public sealed class SmallQueueVisageServer : VisageServer
{
    public const int Workers = 1, QueueCapacity = 2;
    protected override IEnumerable<string> ExtraArgs => [$"--Inference:Workers={Workers}", $"--Inference:QueueCapacity={QueueCapacity}"];
}

public sealed class OverloadBurstTests(SmallQueueVisageServer server, ITestOutputHelper output) : IClassFixture<SmallQueueVisageServer>
{
    [Fact]
    public async Task Enroll_burst_beyond_the_queue_gets_503_with_Retry_After_and_no_timeout_and_every_retry_then_succeeds()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(name: "burst");
        var people = Directory.GetDirectories(TestData.Path_("verify"));
        Array.Sort(people, StringComparer.Ordinal);
        // Every item is the same 36 MP phone photo (~150 ms of inference each): small photos are served so fast on an idle
        // machine that sixteen requests never overlap enough to fill the queue.
        var heavy = Photos.Verify("CompreFace_sample_personA", 1);
        var burst = people.Take(16).Select(p => (Person: Path.GetFileName(p), Photo: heavy)).ToArray();

        // The fixture's client waits up to 2 minutes: a request the service left hanging would fail the test, not pass it.
        var clock = Stopwatch.StartNew();
        var first = await Task.WhenAll(burst.Select(async b =>
        {
            var started = clock.Elapsed;
            var r = await admin.PostForm($"/api/v1/collections/{col}/faces", ("image", b.Photo), ("external_id", b.Person));
            return (b, r, Took: clock.Elapsed - started);
        }));
        var refused = first.Where(x => x.r.Status == HttpStatusCode.ServiceUnavailable).ToList();
        var accepted = first.Where(x => x.r.Status == HttpStatusCode.Created).ToList();
        output.WriteLine($"burst of {burst.Length}: {accepted.Count} enrolled (slowest {accepted.Max(x => x.Took.TotalMilliseconds):F0} ms), " +
            $"{refused.Count} refused (slowest refusal {refused.Select(x => x.Took.TotalMilliseconds).DefaultIfEmpty().Max():F0} ms)");

        Assert.All(first, x => Assert.True(x.r.Status is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, x.r.ToString()));
        Assert.NotEmpty(accepted);
        Assert.NotEmpty(refused);
        Assert.All(refused, x =>
        {
            Assert.Equal("SERVICE_OVERLOADED", x.r.ErrorCode);
            Assert.False(x.r.Json.GetProperty("success").GetBoolean());
            Assert.False(string.IsNullOrEmpty(x.r.Json.GetProperty("request_id").GetString()));
            Assert.True(int.TryParse(x.r.Header("Retry-After"), out var after) && after >= 1, "Retry-After: " + x.r.Header("Retry-After"));
        });
        // A refused enrolment left nothing behind: the collection holds exactly the accepted ones.
        Assert.Equal(accepted.Count, (await admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("face_count").GetInt64());

        // A client that honours Retry-After gets every refused photo enrolled, one at a time.
        foreach (var (b, _, _) in refused)
        {
            var retry = await admin.PostForm($"/api/v1/collections/{col}/faces", ("image", b.Photo), ("external_id", b.Person));
            Assert.Equal(HttpStatusCode.Created, retry.Status);
        }
        var listed = (await admin.Get($"/api/v1/collections/{col}/faces?page_size=100")).Data;
        Assert.Equal(burst.Length, listed.GetProperty("total").GetInt32());
        Assert.Equal(burst.Select(b => b.Person).Order(), listed.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("external_id").GetString()!).Order());
    }
}
