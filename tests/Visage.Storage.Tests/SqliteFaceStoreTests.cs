using Visage.Storage;
using Visage.Storage.Sqlite;
using Xunit;

namespace Visage.Storage.Tests;

public sealed class SqliteFaceStoreTests : FaceStoreContractTests, IDisposable
{
    readonly string dataDirectory = Directory.CreateTempSubdirectory("visage-store-").FullName;

    protected override Task CreateDatabaseAsync() => Task.CompletedTask;
    protected override IFaceStore CreateStore() => new SqliteFaceStore(dataDirectory);

    public void Dispose() => Directory.Delete(dataDirectory, recursive: true);

    [Fact]
    public async Task Database_is_one_file_in_the_data_directory_in_wal_mode()
    {
        Assert.True(File.Exists(Path.Combine(dataDirectory, "visage.db")));
        var header = new byte[20];
        await using (var f = new FileStream(Path.Combine(dataDirectory, "visage.db"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            await f.ReadExactlyAsync(header);
        // Bytes 18 and 19 of the header are the read/write format versions: 2 means WAL.
        Assert.Equal(2, header[18]);
        Assert.Equal(2, header[19]);
    }

    [Fact]
    public async Task Deleted_face_embedding_and_crop_bytes_remain_nowhere_in_the_database_or_wal_files()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await Store.CreateCollectionAsync(col);
        var face = Samples.Face(col.Id);
        var doomed = Samples.Reference(face, seed: 1234);
        await Store.InsertFaceAsync(face, doomed);
        var keptFace = Samples.Face(col.Id);
        var kept = Samples.Reference(keptFace, seed: 99);
        await Store.InsertFaceAsync(keptFace, kept);
        var store = (SqliteFaceStore)Store;
        await store.CheckpointAsync();
        byte[] embedding = EmbeddingBytes(doomed.Embedding);
        // Control: the search finds bytes that are there, so a pass below is not vacuous.
        Assert.True(OccursInFiles(embedding));
        Assert.True(OccursInFiles(doomed.Crop.AsSpan(0, 256).ToArray()));

        await Store.DeleteFaceAsync(col.Id, face.Id);
        await store.CheckpointAsync();

        Assert.False(OccursInFiles(embedding));
        Assert.False(OccursInFiles(embedding.AsSpan(0, 64).ToArray()));
        Assert.False(OccursInFiles(doomed.Crop.AsSpan(0, 256).ToArray()));
        Assert.False(OccursInFiles(doomed.Crop.AsSpan(Samples.CropBytes - 256).ToArray()));
        Assert.True(OccursInFiles(EmbeddingBytes(kept.Embedding)));
    }

    [Fact]
    public async Task Deleted_embedding_does_not_linger_in_the_wal_even_without_an_explicit_checkpoint()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await Store.CreateCollectionAsync(col);
        var face = Samples.Face(col.Id);
        var doomed = Samples.Reference(face, seed: 777);
        await Store.InsertFaceAsync(face, doomed);
        Assert.True(OccursInFiles(EmbeddingBytes(doomed.Embedding)));

        await Store.DeleteCollectionAsync(ws.Id, col.Id);

        Assert.False(OccursInFiles(EmbeddingBytes(doomed.Embedding)));
    }

    [Fact]
    public async Task A_delete_during_a_long_stream_does_not_wait_for_the_reader_and_is_scrubbed_at_the_next_write()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await Store.CreateCollectionAsync(col);
        var faces = Enumerable.Range(0, 20).Select(i => Samples.Face(col.Id, $"p{i}")).ToList();
        var refs = faces.Select(f => Samples.Reference(f, crop: false)).ToList();
        await Store.InsertFacesAsync(faces.Zip(refs).ToList());

        await using (var stream = Store.StreamVectorsAsync(col.Id).GetAsyncEnumerator())
        {
            Assert.True(await stream.MoveNextAsync());   // a read snapshot is now open
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.Single(await Store.DeleteFaceAsync(col.Id, faces[^1].Id));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"delete took {watch.ElapsedMilliseconds} ms behind the reader");
            Assert.True(((SqliteFaceStore)Store).ScrubPending);
            int seen = 1;
            while (await stream.MoveNextAsync()) seen++;
            Assert.Equal(20, seen);                        // the reader keeps its snapshot
        }

        // Any later write retries the blocked scrub.
        await Store.CreateWorkspaceAsync(Samples.Workspace());
        Assert.False(((SqliteFaceStore)Store).ScrubPending);
        Assert.False(OccursInFiles(EmbeddingBytes(refs[^1].Embedding)));
        Assert.Equal(19, (await StreamAsync(col.Id)).Count);
    }

    [Fact]
    public async Task Data_directory_that_cannot_be_created_is_a_typed_unavailable_error()
    {
        string blocker = Path.Combine(dataDirectory, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var e = Assert.Throws<StoreUnavailableException>(() => new SqliteFaceStore(Path.Combine(blocker, "data")));
        Assert.Contains("data directory", e.Message);
    }

    [Fact]
    public async Task Read_only_data_directory_is_a_typed_unavailable_error()
    {
        string empty = Path.Combine(dataDirectory, "read-only-empty");
        string existing = Path.Combine(dataDirectory, "read-only-existing");
        await using (var seeded = new SqliteFaceStore(existing)) await seeded.MigrateAsync();
        Directory.CreateDirectory(empty);
        foreach (var f in Directory.GetFiles(existing, "visage.db-*")) File.Delete(f);
        await MakeReadOnlyAsync(empty, true);
        await MakeReadOnlyAsync(existing, true);
        try
        {
            var e = Assert.Throws<StoreUnavailableException>(() => new SqliteFaceStore(empty));
            Assert.Contains(empty, e.Message);
            Assert.Throws<StoreUnavailableException>(() => new SqliteFaceStore(existing));
        }
        finally
        {
            await MakeReadOnlyAsync(empty, false);
            await MakeReadOnlyAsync(existing, false);
        }
    }

    /// <summary>Root ignores permission bits, so as root the directory is made immutable instead.</summary>
    static async Task MakeReadOnlyAsync(string dir, bool readOnly)
    {
        if (Environment.UserName != "root")
        {
            File.SetUnixFileMode(dir, readOnly ? UnixFileMode.UserRead | UnixFileMode.UserExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }
        using var chattr = System.Diagnostics.Process.Start("chattr", [readOnly ? "+i" : "-i", dir]);
        await chattr.WaitForExitAsync();
        Assert.True(chattr.ExitCode == 0, "chattr is needed to make a directory read-only for root");
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_a_typed_unavailable_error()
    {
        string dir = Path.Combine(dataDirectory, "garbage");
        Directory.CreateDirectory(dir);
        await File.WriteAllBytesAsync(Path.Combine(dir, SqliteFaceStore.FileName), Samples.Crop(5));
        Assert.Throws<StoreUnavailableException>(() => new SqliteFaceStore(dir));
    }

    [Fact]
    public async Task Listener_wakes_after_a_change_written_by_another_store_on_the_same_file()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await Store.CreateCollectionAsync(col);
        await using var listenerStore = new SqliteFaceStore(dataDirectory, TimeSpan.FromMilliseconds(50));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var wake = FirstAsync(listenerStore.ListenAsync(cts.Token));
        await Task.Delay(200);

        var face = Samples.Face(col.Id);
        await Store.InsertFaceAsync(face, Samples.Reference(face));

        Assert.Equal(await Store.GetLatestChangeSeqAsync(), await wake.WaitAsync(TimeSpan.FromSeconds(2)));
        cts.Cancel();
    }

    static async Task<long> FirstAsync(IAsyncEnumerable<long> source)
    {
        await foreach (var x in source) return x;
        throw new InvalidOperationException("ended without a value");
    }

    static byte[] EmbeddingBytes(float[] v) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    bool OccursInFiles(byte[] needle)
    {
        foreach (var path in Directory.GetFiles(dataDirectory, "visage.db*"))
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var bytes = new byte[f.Length];
            f.ReadExactly(bytes);
            if (bytes.AsSpan().IndexOf(needle) >= 0) return true;
        }
        return false;
    }
}
