using System.Net;
using Visage.Cli;
using Xunit;

namespace Visage.Server.Tests;

/// <summary><c>visage keys</c> works on the store directly, also while the service runs on it.</summary>
public sealed class KeysCommandTests(SqliteVisageServer server) : IClassFixture<SqliteVisageServer>
{
    async Task<(int Code, string Out, string Err)> Visage(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = await VisageCli.RunAsync([.. args, "--data", server.DataDir], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Keys_created_listed_and_revoked_by_the_cli_take_effect_on_the_running_service()
    {
        var (code, output, _) = await Visage("keys", "create", "--name", "reporting", "--scopes", "read");
        Assert.Equal(0, code);
        var key = output.Trim();
        Assert.Matches("^fr_live_[0-9A-Za-z]{32}$", key);
        Assert.Equal(HttpStatusCode.OK, (await server.Client(key).Get("/api/v1/collections")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Client(key).PostJson("/api/v1/collections", new { name = "x" })).Status);

        var list = await Visage("keys", "list");
        Assert.Contains("reporting", list.Out);
        Assert.Contains(key[..12], list.Out);
        Assert.DoesNotContain(key, list.Out);
        var keyId = list.Out.Split('\n').First(l => l.Contains("reporting")).Split(' ')[0];

        Assert.Equal(0, (await Visage("keys", "revoke", keyId)).Code);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client(key).Get("/api/v1/collections")).Status);

        var bad = await Visage("keys", "create", "--name", "x", "--scopes", "root");
        Assert.Equal(1, bad.Code);
        Assert.Contains("Unknown scope", bad.Err);
        Assert.Equal(1, (await Visage("keys", "revoke", "key_nope")).Code);
    }
}
