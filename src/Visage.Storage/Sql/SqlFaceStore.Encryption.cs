using System.Data.Common;

namespace Visage.Storage.Sql;

/// <summary>Encryption at rest of the biometric columns (face_refs.embedding, crops.data). Everything else stays plain,
/// so listing, paging and the change log never need the key.</summary>
public abstract partial class SqlFaceStore
{
    /// <summary>Set before first use to encrypt new embeddings and crops. Plain blobs stay readable, so encryption can be
    /// turned on for an existing store; <see cref="ReprotectAllAsync"/> then seals them.</summary>
    public IBlobProtector? Protector { get; set; }

    byte[] Seal(byte[] plain, long referenceKey, BlobKind kind) => Protector?.Protect(plain, referenceKey, kind) ?? plain;

    byte[] Open(byte[] stored, long referenceKey, BlobKind kind) =>
        !AesGcmBlobProtector.IsSealed(stored) ? stored
        : (Protector ?? throw NoKey()).Unprotect(stored, referenceKey, kind);

    float[] ReadEmbedding(DbDataReader r, int ordinal, long referenceKey)
    {
        if (Protector is not null) return Embeddings.FromBytes(Open(Db.Bytes(r, ordinal), referenceKey, BlobKind.Embedding));
        // Without a key the pooled plain read stays the hot path; a sealed blob (length 1 mod 4) is a typed error there.
        if (r.GetBytes(ordinal, 0, null, 0, 0) % 4 == 1) throw NoKey();
        return Embeddings.Read(r, ordinal);
    }

    /// <summary>An embedding read in place from a store's row buffer (no intermediate byte[]), sealed or plain.</summary>
    protected float[] EmbeddingFrom(ReadOnlySpan<byte> stored, long referenceKey)
    {
        if (!AesGcmBlobProtector.IsSealed(stored)) return Embeddings.FromBytes(stored);
        return Embeddings.FromBytes((Protector ?? throw NoKey()).Unprotect(stored, referenceKey, BlobKind.Embedding));
    }

    /// <summary>The reference key is part of the associated data but only exists once the row is inserted.</summary>
    Task SealEmbeddingAsync(DbConnection c, DbTransaction tx, long referenceKey, float[] embedding, CancellationToken ct) =>
        Db.ExecuteAsync(c, tx, "UPDATE face_refs SET embedding = @e WHERE ref_key = @k", ct,
            ("e", Seal(Embeddings.ToBytes(embedding), referenceKey, BlobKind.Embedding)), ("k", referenceKey));

    static StoreUnavailableException NoKey() => new(
        "the stored faces are encrypted: configure the key (Encryption:Key, VISAGE_ENCRYPTION__KEY or Encryption:KeyFile)");

    /// <summary>Start-up check: a store holding sealed blobs needs a configured key that opens them. Opening one sample
    /// makes a wrong key a clear error at start instead of a failure on the first search.</summary>
    public Task CheckEncryptionAsync(CancellationToken ct = default) => ReadAsync(async c =>
    {
        var sample = await Db.FirstAsync(c, null,
            "SELECT ref_key, embedding FROM face_refs WHERE length(embedding) % 4 = 1 LIMIT 1",
            r => Tuple.Create(r.GetInt64(0), Db.Bytes(r, 1)), ct);
        if (sample is not null) Open(sample.Item2, sample.Item1, BlobKind.Embedding);
        return true;
    }, ct);

    /// <summary>Re-seals every embedding and crop with the current key of <see cref="Protector"/> (which must also hold
    /// the previous keys, to open the old blobs), in batches of one transaction each. Returns how many blobs it wrote.</summary>
    public async Task<long> ReprotectAllAsync(CancellationToken ct = default)
    {
        if (Protector is null) throw NoKey();
        long written = 0;
        foreach (var (table, column, kind) in new[] { ("face_refs", "embedding", BlobKind.Embedding), ("crops", "data", BlobKind.Crop) })
        {
            long after = long.MinValue;
            while (true)
            {
                var batch = await WriteAsync(async (c, tx) =>
                {
                    var rows = await Db.ListAsync(c, tx,
                        $"SELECT ref_key, {column} FROM {table} WHERE ref_key > @a ORDER BY ref_key LIMIT 200",
                        r => (Key: r.GetInt64(0), Blob: Db.Bytes(r, 1)), ct, ("a", after));
                    foreach (var (key, blob) in rows)
                        await Db.ExecuteAsync(c, tx, $"UPDATE {table} SET {column} = @b WHERE ref_key = @k", ct,
                            ("b", Seal(Open(blob, key, kind), key, kind)), ("k", key));
                    return rows;
                }, ct);
                if (batch.Count == 0) break;
                written += batch.Count;
                after = batch[^1].Key;
            }
        }
        // SQLite: secure_delete zeroed the replaced pages; the checkpoint also clears the old images from the WAL.
        await AfterDeleteAsync(ct);
        return written;
    }
}
