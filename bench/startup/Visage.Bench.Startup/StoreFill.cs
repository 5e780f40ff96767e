using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Visage.Search.Synthetic;
using Visage.Storage;

namespace Visage.Bench.Startup;

/// <summary>Writes N synthetic faces (one enrol reference each) straight into the schema of a migrated store.
/// IFaceStore.InsertFacesAsync does ~5 statements and a change row per face (hundreds of faces/s, an hour at 1M on
/// PostgreSQL); a bulk path (one prepared insert per row on SQLite, binary COPY on PostgreSQL) fills 1M in minutes.
/// No change rows are written: an instance that starts afterwards must find the faces by loading the store, which
/// is what this bench measures. The column lists follow src/Visage.Storage/Sql/Schema.cs (migration 1).</summary>
static class StoreFill
{
    const int Dimension = 512, Chunk = 20_000;
    const string FaceColumns = "id, collection_id, external_id, metadata, quality_score, liveness_score, " +
                               "box_x, box_y, box_w, box_h, faces_detected, model_version, created_at, updated_at";
    const string RefColumns = "id, face_id, collection_id, source, quality_score, model_version, created_at, embedding";

    /// <summary>Chunk c holds rows c·Chunk.. of the synthetic set: clustered identities (10 photos each) from seed 1000+c.</summary>
    static float[] Vectors(int chunk, int rows) => SyntheticVectors.Clustered(rows, Dimension, seed: 1000 + chunk);

    static string ExternalId(int row) => $"synthetic_{row}";

    public static async Task<TimeSpan> SqliteAsync(string databasePath, string collectionId, int count)
    {
        var watch = Stopwatch.StartNew();
        await using var c = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        await c.OpenAsync();
        await Exec(c, null, "PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144;");
        string model = (string)(await Scalar(c, "SELECT model_version FROM collections WHERE id = $c", collectionId))!;
        long now = DateTimeOffset.UtcNow.UtcTicks;
        for (int chunk = 0; chunk * Chunk < count; chunk++)
        {
            int first = chunk * Chunk, rows = Math.Min(Chunk, count - first);
            var vectors = Vectors(chunk, rows);
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
            await using var face = c.CreateCommand();
            face.Transaction = tx;
            face.CommandText = $"INSERT INTO faces({FaceColumns}) VALUES ($id, $c, $e, '{{}}', 1, NULL, 0, 0, 0, 0, 1, $mv, $at, $at)";
            var fId = face.Parameters.Add("$id", SqliteType.Text); var fExt = face.Parameters.Add("$e", SqliteType.Text);
            face.Parameters.AddWithValue("$c", collectionId); face.Parameters.AddWithValue("$mv", model); face.Parameters.AddWithValue("$at", now);
            await using var reference = c.CreateCommand();
            reference.Transaction = tx;
            reference.CommandText = $"INSERT INTO face_refs({RefColumns}) VALUES ($id, $f, $c, 'enroll', 1, $mv, $at, $emb)";
            var rId = reference.Parameters.Add("$id", SqliteType.Text); var rFace = reference.Parameters.Add("$f", SqliteType.Text);
            var rEmb = reference.Parameters.Add("$emb", SqliteType.Blob);
            reference.Parameters.AddWithValue("$c", collectionId); reference.Parameters.AddWithValue("$mv", model); reference.Parameters.AddWithValue("$at", now);
            for (int i = 0; i < rows; i++)
            {
                string faceId = Ids.New("face");
                fId.Value = faceId; fExt.Value = ExternalId(first + i);
                await face.ExecuteNonQueryAsync();
                rId.Value = Ids.New("ref"); rFace.Value = faceId;
                rEmb.Value = MemoryMarshal.AsBytes(vectors.AsSpan(i * Dimension, Dimension)).ToArray();
                await reference.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
            Progress(first + rows, count, watch);
        }
        await Exec(c, null, "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;");
        return watch.Elapsed;
    }

    public static async Task<TimeSpan> PostgresAsync(string connectionString, string collectionId, int count)
    {
        var watch = Stopwatch.StartNew();
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        string model;
        await using (var q = new NpgsqlCommand("SELECT model_version FROM collections WHERE id = @c", c))
        {
            q.Parameters.AddWithValue("c", collectionId);
            model = (string)(await q.ExecuteScalarAsync())!;
        }
        long now = DateTimeOffset.UtcNow.UtcTicks;
        var faceIds = new string[Chunk];
        for (int chunk = 0; chunk * Chunk < count; chunk++)
        {
            int first = chunk * Chunk, rows = Math.Min(Chunk, count - first);
            var vectors = Vectors(chunk, rows);
            await using var tx = await c.BeginTransactionAsync();
            await using (var copy = await c.BeginBinaryImportAsync($"COPY faces({FaceColumns}) FROM STDIN (FORMAT BINARY)"))
            {
                for (int i = 0; i < rows; i++)
                {
                    faceIds[i] = Ids.New("face");
                    await copy.StartRowAsync();
                    await copy.WriteAsync(faceIds[i], NpgsqlDbType.Text);
                    await copy.WriteAsync(collectionId, NpgsqlDbType.Text);
                    await copy.WriteAsync(ExternalId(first + i), NpgsqlDbType.Text);
                    await copy.WriteAsync("{}", NpgsqlDbType.Text);
                    await copy.WriteAsync(1f, NpgsqlDbType.Real);
                    await copy.WriteNullAsync();
                    for (int b = 0; b < 4; b++) await copy.WriteAsync(0, NpgsqlDbType.Integer);
                    await copy.WriteAsync(1, NpgsqlDbType.Integer);
                    await copy.WriteAsync(model, NpgsqlDbType.Text);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                }
                await copy.CompleteAsync();
            }
            await using (var copy = await c.BeginBinaryImportAsync($"COPY face_refs({RefColumns}) FROM STDIN (FORMAT BINARY)"))
            {
                for (int i = 0; i < rows; i++)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(Ids.New("ref"), NpgsqlDbType.Text);
                    await copy.WriteAsync(faceIds[i], NpgsqlDbType.Text);
                    await copy.WriteAsync(collectionId, NpgsqlDbType.Text);
                    await copy.WriteAsync("enroll", NpgsqlDbType.Text);
                    await copy.WriteAsync(1f, NpgsqlDbType.Real);
                    await copy.WriteAsync(model, NpgsqlDbType.Text);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(MemoryMarshal.AsBytes(vectors.AsSpan(i * Dimension, Dimension)).ToArray(), NpgsqlDbType.Bytea);
                }
                await copy.CompleteAsync();
            }
            await tx.CommitAsync();
            Progress(first + rows, count, watch);
        }
        // Statistics as a long-lived database would have them (autovacuum would run this soon anyway).
        foreach (var table in (string[])["faces", "face_refs"])
            await using (var analyze = new NpgsqlCommand($"VACUUM ANALYZE {table}", c)) await analyze.ExecuteNonQueryAsync();
        return watch.Elapsed;
    }

    static void Progress(int done, int count, Stopwatch watch)
    {
        if (done == count || done % 200_000 == 0)
            Console.Error.WriteLine($"  fill: {done:N0}/{count:N0} faces, {watch.Elapsed.TotalSeconds:F0} s");
    }

    static async Task Exec(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    static async Task<object?> Scalar(SqliteConnection c, string sql, string collectionId)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$c", collectionId);
        return await cmd.ExecuteScalarAsync();
    }
}
