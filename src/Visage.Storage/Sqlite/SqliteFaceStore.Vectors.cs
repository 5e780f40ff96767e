using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Visage.Storage.Sqlite;

public sealed partial class SqliteFaceStore
{
    /// <summary>The start-up load reads every embedding of a collection (a million at the target size). Through
    /// ADO.NET each BLOB is first copied into a byte[] the reader caches, and every row costs several calls; reading
    /// the columns in place from SQLite's row buffer leaves one allocation per row, the float[] handed over. The
    /// statement is the one <see cref="Sql.SqlFaceStore"/> runs, on the same pooled connection.</summary>
    public override async IAsyncEnumerable<StoredVector> StreamVectorsAsync(string collectionId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var rows = OpenVectorRows(collectionId);
        int count = 0;
        while (rows.Next(out var vector))
        {
            yield return vector;
            // The rows come without waiting on I/O; let the thread pool breathe during a load of millions.
            if ((++count & 8191) == 0)
            {
                ct.ThrowIfCancellationRequested();
                await Task.Yield();
            }
        }
    }

    VectorRows OpenVectorRows(string collectionId)
    {
        SqliteConnection? connection = null;
        try
        {
            connection = Open();
            return new VectorRows(this, connection, collectionId);
        }
        catch (Exception e)
        {
            connection?.Dispose();
            if (e is SqliteException s) throw ReadFailure(s);
            throw;
        }
    }

    Exception ReadFailure(SqliteException e) =>
        Translate(e) ?? new StoreUnavailableException($"cannot read the SQLite database '{DatabasePath}': {e.Message}", e);

    /// <summary>A prepared statement stepped by hand; owns the connection until disposed.</summary>
    sealed class VectorRows : IDisposable
    {
        readonly SqliteFaceStore store;
        readonly SqliteConnection connection;
        readonly sqlite3_stmt statement;
        // Consecutive references of one face share its ids: compare bytes instead of allocating strings per row.
        byte[] faceIdBytes = new byte[64];
        int faceIdLength = -1;
        string faceId = "", externalId = "";

        public VectorRows(SqliteFaceStore store, SqliteConnection connection, string collectionId)
        {
            this.store = store;
            this.connection = connection;
            Check(raw.sqlite3_prepare_v2(connection.Handle, VectorsSql, out statement));
            try { Check(raw.sqlite3_bind_text(statement, raw.sqlite3_bind_parameter_index(statement, "@c"), collectionId)); }
            catch { statement.Dispose(); throw; }
        }

        public bool Next(out StoredVector vector)
        {
            int rc = raw.sqlite3_step(statement);
            if (rc == raw.SQLITE_DONE) { vector = default; return false; }
            if (rc != raw.SQLITE_ROW) Check(rc);
            long key = raw.sqlite3_column_int64(statement, 0);
            var id = raw.sqlite3_column_blob(statement, 1);   // TEXT comes back as its UTF-8 bytes
            if (faceIdLength < 0 || !id.SequenceEqual(faceIdBytes.AsSpan(0, faceIdLength)))
            {
                if (id.Length > faceIdBytes.Length) faceIdBytes = new byte[id.Length];
                id.CopyTo(faceIdBytes);
                faceIdLength = id.Length;
                faceId = Encoding.UTF8.GetString(id);
                externalId = Encoding.UTF8.GetString(raw.sqlite3_column_blob(statement, 2));
            }
            vector = new StoredVector(key, faceId, externalId, store.EmbeddingFrom(raw.sqlite3_column_blob(statement, 3), key));
            return true;
        }

        void Check(int rc)
        {
            if (rc is raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE) return;
            var e = new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc, raw.sqlite3_extended_errcode(connection.Handle));
            throw store.ReadFailure(e);
        }

        public void Dispose()
        {
            // Finalised before the connection goes back to the pool.
            statement.Dispose();
            connection.Dispose();
        }
    }
}
