using System.Net;
using Visage.Service;
using Xunit;

namespace Visage.Server.Tests.Hardening;

/// <summary>Per-key limit of one request per 50 s after a burst of 3: within one test no token comes back, so the
/// counts below are exact rather than timing-dependent.</summary>
public sealed class RateLimitedVisageServer : VisageServer
{
    public const int Burst = 3;
    protected override IEnumerable<string> ExtraArgs => ["--RateLimits:PerKeyPerSecond=0.02", $"--RateLimits:Burst={Burst}"];
}

public sealed class RateLimitTests(RateLimitedVisageServer server) : IClassFixture<RateLimitedVisageServer>
{
    async Task<ApiClient> NewKeyAsync(string name)
    {
        // Each key created here spends one of the admin key's own tokens: the admin key has Burst of them.
        var created = await server.Admin().PostJson("/api/v1/keys", new { name, scopes = new[] { "read", "write" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return server.Client(created.Data.GetProperty("key").GetString());
    }

    [Fact]
    public async Task Key_beyond_its_burst_gets_429_RATE_LIMITED_with_Retry_After_while_another_key_is_unaffected()
    {
        var busy = await NewKeyAsync("busy");
        var quiet = await NewKeyAsync("quiet");

        var answers = new List<ApiResponse>();
        for (int i = 0; i < RateLimitedVisageServer.Burst + 3; i++) answers.Add(await busy.Get("/api/v1/collections"));

        Assert.All(answers.Take(RateLimitedVisageServer.Burst), r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.All(answers.Skip(RateLimitedVisageServer.Burst), r =>
        {
            Assert.Equal((HttpStatusCode)429, r.Status);
            Assert.Equal("RATE_LIMITED", r.ErrorCode);
            Assert.False(string.IsNullOrEmpty(r.Json.GetProperty("request_id").GetString()));
            Assert.True(int.TryParse(r.Header("Retry-After"), out var after) && after is >= 1 and <= 50, "Retry-After: " + r.Header("Retry-After"));
        });
        // Partitioned by key: a key of the same workspace still has its own burst.
        Assert.Equal(HttpStatusCode.OK, (await quiet.Get("/api/v1/collections")).Status);
    }

    [Fact]
    public async Task Routes_without_a_key_are_not_rate_limited_and_a_bad_key_is_refused_as_such()
    {
        var anonymous = server.Client();
        for (int i = 0; i < RateLimitedVisageServer.Burst * 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await anonymous.Get("/healthz")).Status);
        // Authentication runs first: an unknown key is 401, never a 429 that would hint it exists.
        var unknown = await server.Client(ApiKeyFormat.Generate()).Get("/api/v1/collections");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
    }

    [Theory]
    [InlineData("--RateLimits:PerKeyPerSecond=-1")]
    [InlineData("--RateLimits:Burst=-5")]
    public void Invalid_rate_limit_settings_stop_the_service_at_start(string setting)
    {
        var e = Assert.Throws<InvalidOperationException>(() => ServerApp.Build(["--Urls=http://127.0.0.1:0", "--Data=" + server.DataDir, setting]));
        Assert.Contains("RateLimits", e.Message);
    }
}
