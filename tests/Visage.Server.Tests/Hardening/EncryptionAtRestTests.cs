using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Visage.Cli;
using Visage.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Server.Tests.Hardening;

/// <summary>The service with <c>Encryption:Key</c> set; the key can be changed before a restart.</summary>
public sealed class EncryptedVisageServer : VisageServer
{
    public string Key { get; set; } = NewKey();
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    protected override IEnumerable<string> ExtraArgs => ["--Encryption:Key=" + Key];
}

/// <summary>Embeddings and crops encrypted at rest (AES-GCM): the raw SQLite files hold none of their bytes, search
/// still works, rotation re-seals everything, a wrong or missing key stops the start, deletes leave no ciphertext.</summary>
public sealed class EncryptionAtRestTests(EncryptedVisageServer server, ITestOutputHelper log) : IClassFixture<EncryptedVisageServer>
{
    string DatabasePath => Path.Combine(server.DataDir, "visage.db");

    [Fact]
    public async Task With_encryption_the_raw_database_files_hold_no_embedding_or_crop_bytes_and_identify_still_works()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false, store_face_crops = true });
        var faceId = (await admin.Enroll(col, Photos.Verify("Martha_Burk", 1), "martha")).GetProperty("face_id").GetString()!;
        var (key, plainEmbedding, plainCrop) = await PlainBlobs(faceId);
        var (sealedEmbedding, sealedCrop) = await RawBlobs(key);

        Assert.True(AesGcmBlobProtector.IsSealed(sealedEmbedding));
        Assert.True(AesGcmBlobProtector.IsSealed(sealedCrop));
        var files = RawFiles();
        // Control: the search finds bytes that are on disk.
        Assert.True(ContainsAny(files, sealedEmbedding), "control: the sealed embedding is in the raw files");
        Assert.True(ContainsAny(files, sealedCrop), "control: the sealed crop is in the raw files");
        Assert.False(ContainsAny(files, plainEmbedding), "plain embedding bytes found in the raw database files");
        Assert.False(ContainsAny(files, plainCrop), "plain crop bytes found in the raw database files");

        var found = await admin.Identify(col, Photos.Verify("Martha_Burk", 2));
        Assert.Equal(HttpStatusCode.OK, found.Status);
        Assert.Equal(faceId, found.Data.GetProperty("matches")[0].GetProperty("face_id").GetString());
        var face = await admin.Get($"/api/v1/collections/{col}/faces/{faceId}");
        var refId = face.Data.GetProperty("references")[0].GetProperty("reference_id").GetString();
        var crop = await admin.Get($"/api/v1/collections/{col}/faces/{faceId}/references/{refId}/crop");
        Assert.Equal(HttpStatusCode.OK, crop.Status);
        Assert.Equal("image/png", crop.Header("Content-Type"));
        LogOverhead(plainEmbedding, plainCrop);
    }

    [Fact]
    public async Task Deleting_a_face_or_a_collection_leaves_none_of_its_encrypted_blobs_in_the_raw_files()
    {
        var admin = server.Admin();
        var doomedCol = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false, store_face_crops = true }, "doomed");
        var keptCol = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false, store_face_crops = true }, "kept");
        var inDoomed = (await admin.Enroll(doomedCol, Photos.Verify("Tubby_Smith", 1), "tubby")).GetProperty("face_id").GetString()!;
        var deletedFace = (await admin.Enroll(keptCol, Photos.Verify("Jon_Voight", 1), "jon")).GetProperty("face_id").GetString()!;
        var keptFace = (await admin.Enroll(keptCol, Photos.Verify("Karen_Allen", 1), "karen")).GetProperty("face_id").GetString()!;
        var doomedBlobs = await RawBlobs((await PlainBlobs(inDoomed)).Key);
        var deletedBlobs = await RawBlobs((await PlainBlobs(deletedFace)).Key);
        var keptBlobs = await RawBlobs((await PlainBlobs(keptFace)).Key);

        Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/collections/{doomedCol}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/collections/{keptCol}/faces/{deletedFace}")).Status);

        var files = RawFiles();
        Assert.True(ContainsAny(files, keptBlobs.Embedding) && ContainsAny(files, keptBlobs.Crop), "control: a kept face's blobs are found");
        foreach (var (what, blob) in new[] { ("collection embedding", doomedBlobs.Embedding), ("collection crop", doomedBlobs.Crop),
                     ("face embedding", deletedBlobs.Embedding), ("face crop", deletedBlobs.Crop) })
            Assert.False(ContainsAny(files, blob), $"the deleted {what} is still in the raw files");
    }

    [Fact]
    public async Task Rotation_re_encrypts_every_blob_the_old_key_opens_nothing_and_a_wrong_or_missing_key_stops_the_start()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false, store_face_crops = true }, "rotated");
        var faceId = (await admin.Enroll(col, Photos.Verify("Juanes", 1), "juanes")).GetProperty("face_id").GetString()!;
        var oldKey = server.Key;
        var newKey = EncryptedVisageServer.NewKey();

        var (output, error) = (new StringWriter(), new StringWriter());
        int code = await VisageCli.RunAsync(["encryption", "rotate", "--key", oldKey, "--new-key", newKey, "--data", server.DataDir], output, error);
        Assert.True(code == 0, error.ToString());
        Assert.Matches("^re-encrypted [1-9][0-9]* blobs with key [0-9a-f]{8}", output.ToString());

        var newId = AesGcmBlobProtector.IdOf(Convert.FromBase64String(newKey));
        var old = new AesGcmBlobProtector(Convert.FromBase64String(oldKey));
        var rows = await AllRawBlobs();
        Assert.NotEmpty(rows);
        foreach (var (refKey, kind, blob) in rows)
        {
            Assert.Equal(newId, AesGcmBlobProtector.SealedWith(blob));
            var e = Assert.Throws<StoreUnavailableException>(() => old.Unprotect(blob, refKey, kind));
            Assert.Contains("not configured", e.Message);
        }

        server.Key = newKey;
        await server.RestartAsync();
        var found = await server.Admin().Identify(col, Photos.Verify("Juanes", 1), ("top_k", "1"));
        Assert.Equal(HttpStatusCode.OK, found.Status);
        Assert.Equal(faceId, found.Data.GetProperty("matches")[0].GetProperty("face_id").GetString());

        // A second process on the same store, with the old key or none: it must refuse to start, saying why.
        await AssertStartRefused(new() { ["Encryption__Key"] = oldKey }, "not configured");
        await AssertStartRefused(new() { ["Encryption__Key"] = EncryptedVisageServer.NewKey()[..20] }, "32 bytes");
        await AssertStartRefused(new(), "configure the key");
    }

    async Task AssertStartRefused(Dictionary<string, string> environment, string expected)
    {
        await using var child = new ChildServer(server.DataDir, environment);
        var e = await Assert.ThrowsAsync<ChildServerExitedException>(() => child.StartAsync());
        Assert.Equal(1, e.Code);
        Assert.Contains(expected, e.Output);
    }

    async Task<(long Key, byte[] Embedding, byte[] Crop)> PlainBlobs(string faceId)
    {
        var store = server.Services.GetRequiredService<IFaceStore>();
        long key = (await store.GetReferencesAsync(faceId))[0].Key;
        var reference = await store.GetReferenceAsync(key) ?? throw new InvalidOperationException("no reference");
        return (key, MemoryMarshal.AsBytes(reference.Embedding.AsSpan()).ToArray(), reference.Crop!);
    }

    SqliteConnection RawConnection()
    {
        var c = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        c.Open();
        return c;
    }

    async Task<(byte[] Embedding, byte[] Crop)> RawBlobs(long key)
    {
        await using var c = RawConnection();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT r.embedding, k.data FROM face_refs r JOIN crops k ON k.ref_key = r.ref_key WHERE r.ref_key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return ((byte[])reader[0], (byte[])reader[1]);
    }

    async Task<List<(long Key, BlobKind Kind, byte[] Blob)>> AllRawBlobs()
    {
        var rows = new List<(long, BlobKind, byte[])>();
        await using var c = RawConnection();
        foreach (var (sql, kind) in new[] { ("SELECT ref_key, embedding FROM face_refs", BlobKind.Embedding), ("SELECT ref_key, data FROM crops", BlobKind.Crop) })
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), kind, (byte[])reader[1]));
        }
        return rows;
    }

    byte[][] RawFiles() =>
        [.. new[] { DatabasePath, DatabasePath + "-wal" }.Where(File.Exists).Select(path =>
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var bytes = new byte[f.Length];
            f.ReadExactly(bytes);
            return bytes;
        })];

    /// <summary>Any 32-byte window of the blob (one per 512 bytes): a blob split across pages is still found.</summary>
    static bool ContainsAny(byte[][] files, byte[] blob)
    {
        for (int at = 0; at + 32 <= blob.Length; at += 512)
            foreach (var file in files)
                if (file.AsSpan().IndexOf(blob.AsSpan(at, 32)) >= 0) return true;
        return false;
    }

    /// <summary>Measured, not asserted: the cost AES-GCM adds per enroll (seal embedding + crop) and per stored vector at
    /// index load (open embedding).</summary>
    void LogOverhead(byte[] embedding, byte[] crop)
    {
        var p = new AesGcmBlobProtector(RandomNumberGenerator.GetBytes(32));
        const int n = 2000;
        var sealedEmbedding = p.Protect(embedding, 1, BlobKind.Embedding);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) { p.Protect(embedding, i, BlobKind.Embedding); p.Protect(crop, i, BlobKind.Crop); }
        double sealUs = watch.Elapsed.TotalMicroseconds / n;
        watch.Restart();
        for (int i = 0; i < n; i++) p.Unprotect(sealedEmbedding, 1, BlobKind.Embedding);
        double openUs = watch.Elapsed.TotalMicroseconds / n;
        log.WriteLine($"AES-GCM: seal embedding ({embedding.Length} B) + crop ({crop.Length} B) {sealUs:F1} us per enroll; " +
                      $"open embedding {openUs:F1} us per vector");
    }
}
