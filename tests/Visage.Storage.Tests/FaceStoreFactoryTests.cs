using Visage.Storage;
using Xunit;

namespace Visage.Storage.Tests;

public sealed class FaceStoreFactoryTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("visage-factory-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task No_connection_string_selects_sqlite_in_the_data_directory()
    {
        await using var store = await FaceStoreFactory.OpenAndMigrateAsync(Path.Combine(dir, "data"), null);
        Assert.Equal("sqlite", store.Kind);
        Assert.True(File.Exists(Path.Combine(dir, "data", "visage.db")));
        Assert.True(await store.PingAsync());
    }

    [Fact]
    public void A_host_connection_string_selects_postgres()
    {
        Assert.True(FaceStoreFactory.IsPostgres("Host=db.internal;Database=visage;Username=visage"));
        Assert.False(FaceStoreFactory.IsPostgres("Data Source=visage.db"));
    }

    [Fact]
    public void A_connection_string_that_is_not_postgres_is_a_typed_error()
    {
        var e = Assert.Throws<StoreUnavailableException>(() => FaceStoreFactory.Open(dir, "Data Source=visage.db"));
        Assert.Contains("PostgreSQL", e.Message);
    }
}
