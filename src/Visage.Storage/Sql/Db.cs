using System.Data.Common;

namespace Visage.Storage.Sql;

/// <summary>Small ADO.NET helpers shared by both stores (both accept @named parameters).</summary>
static class Db
{
    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args) Add(cmd, name, value);
        return cmd;
    }

    public static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    public static async Task<int> ExecuteAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public static async Task<long> ScalarLongAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? 0 : Convert.ToInt64(value);
    }

    public static async Task<List<T>> ListAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
        CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(map(reader));
        return list;
    }

    public static async Task<T?> FirstAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map,
        CancellationToken ct, params (string, object?)[] args) where T : class
    {
        await using var cmd = Command(c, tx, sql, args);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? map(reader) : null;
    }

    public static long Ticks(DateTimeOffset at) => at.UtcTicks;
    public static long? Ticks(DateTimeOffset? at) => at?.UtcTicks;
    public static DateTimeOffset Time(DbDataReader r, int i) => new(r.GetInt64(i), TimeSpan.Zero);
    public static DateTimeOffset? TimeOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r, i);
    public static string? StringOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    public static float? FloatOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFloat(i);
    public static byte[] Bytes(DbDataReader r, int i) => (byte[])r.GetValue(i);
}
