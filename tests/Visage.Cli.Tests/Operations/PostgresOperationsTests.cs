using Visage.Testing.Postgres;
using Xunit;

namespace Visage.Cli.Tests.Operations;

[CollectionDefinition(Name)]
public sealed class OpsPostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "ops-postgres";
}

/// <summary>The same operations against a real PostgreSQL 15 server (initdb in a temp folder).</summary>
[Collection(OpsPostgresCollection.Name)]
public sealed class PostgresOperationsTests(PostgresServer postgres, OpsFixture f) : IClassFixture<OpsFixture>
{
    [Fact]
    public async Task Sqlite_export_restored_into_postgres_identifies_identically_and_reembeds_there()
    {
        var dir = f.NewDir("to-postgres");
        var data = Path.Combine(dir, "data");
        var import = await f.RunAsync("import", f.WriteCsv(dir, 2, "George_Clooney", "Owen_Wilson", "BBT_penny", "LeAnn_Rimes", "Jon_Voight"),
            "--collection", "people", "--create", "--data", data, "--report", Path.Combine(dir, "r.csv"));
        Assert.True(import.ExitCode == 0, import.ToString());
        var file = Path.Combine(dir, "people.jsonl.gz");
        Assert.Equal(0, (await f.RunAsync("export", "--collection", "people", "--data", data, "--out", file)).ExitCode);

        var connection = await postgres.CreateDatabaseAsync();
        var restore = await f.RunAsync("restore", file, "--store", connection);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var reembed = await f.RunAsync("reembed", "--collection", "people", "--store", connection);
        Assert.True(reembed.ExitCode == 0, reembed.ToString());

        await using var sqlite = await f.OpenLocalAsync(data);
        await using var pg = await Visage.Cli.Operations.LocalService.OpenAsync(null, connection, null, f.Engine, TextWriter.Null, loadIndexes: true);
        var id = (await sqlite.RequireCollectionAsync("people", CancellationToken.None)).Id;
        var restored = await pg.RequireCollectionAsync(id, CancellationToken.None);
        Assert.Equal((await sqlite.RequireCollectionAsync(id, CancellationToken.None)).FaceCount, restored.FaceCount);
        foreach (var (name, photo) in OpsFixture.Probes())
        {
            var expected = await OpsFixture.IdentifyAsync(sqlite, id, photo);
            var actual = await OpsFixture.IdentifyAsync(pg, id, photo);
            Assert.True(expected.Count > 0, name);
            Assert.Equal(expected.Select(m => (m.FaceId, m.ExternalId)), actual.Select(m => (m.FaceId, m.ExternalId)));
            for (int i = 0; i < expected.Count; i++) Assert.InRange(actual[i].Similarity - expected[i].Similarity, -1e-4f, 1e-4f);
        }
    }
}
