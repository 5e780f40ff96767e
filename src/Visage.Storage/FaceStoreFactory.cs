using Npgsql;
using Visage.Storage.Postgres;
using Visage.Storage.Sqlite;

namespace Visage.Storage;

/// <summary>Chooses the store from configuration: a PostgreSQL connection string ("Host=…;Database=…")
/// selects PostgreSQL, otherwise SQLite in the data directory (default <c>./data</c>).</summary>
public static class FaceStoreFactory
{
    public const string DefaultDataDirectory = "data";

    /// <summary>Creates the store without touching the schema; throws <see cref="StoreUnavailableException"/>
    /// for an unusable data directory or a malformed connection string.</summary>
    public static IFaceStore Open(string? dataDirectory, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            return new SqliteFaceStore(string.IsNullOrWhiteSpace(dataDirectory) ? DefaultDataDirectory : dataDirectory);
        if (!IsPostgres(connectionString))
            throw new StoreUnavailableException(
                "the connection string is not a PostgreSQL one (expected \"Host=…;Database=…\"); leave it empty to use SQLite in the data directory");
        return new PostgresFaceStore(connectionString);
    }

    /// <summary>Opens the store and brings its schema up to date: what the service calls at start.</summary>
    public static async Task<IFaceStore> OpenAndMigrateAsync(string? dataDirectory, string? connectionString, CancellationToken ct = default)
    {
        var store = Open(dataDirectory, connectionString);
        try
        {
            await store.MigrateAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public static bool IsPostgres(string connectionString)
    {
        try
        {
            return !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).Host);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
