using Visage.Storage;
using Visage.Storage.Sql;
using Xunit;

namespace Visage.Storage.Tests;

/// <summary>The behaviour every store must have, run against SQLite and PostgreSQL alike. Each test gets a
/// fresh, migrated database; <see cref="OpenStoreAsync"/> opens another store over the same database.</summary>
public abstract class FaceStoreContractTests : IAsyncLifetime
{
    protected IFaceStore Store { get; private set; } = null!;
    readonly List<IFaceStore> opened = [];

    /// <summary>Prepares an empty database for this test (called once, before the first open).</summary>
    protected abstract Task CreateDatabaseAsync();
    /// <summary>A new store instance over this test's database, not yet migrated.</summary>
    protected abstract IFaceStore CreateStore();

    protected async Task<IFaceStore> OpenStoreAsync()
    {
        var store = CreateStore();
        opened.Add(store);
        await store.MigrateAsync();
        return store;
    }

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        Store = await OpenStoreAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in opened) await store.DisposeAsync();
    }

    async Task<(WorkspaceRecord Ws, CollectionRecord Col)> CollectionAsync(IFaceStore? store = null)
    {
        store ??= Store;
        var ws = Samples.Workspace();
        await store.CreateWorkspaceAsync(ws);
        var col = Samples.Collection(ws.Id);
        await store.CreateCollectionAsync(col);
        return (ws, col);
    }

    async Task<(FaceRecord Face, long Key, ReferenceRecord Primary)> EnrollAsync(CollectionRecord col, string externalId = "person-1",
        IFaceStore? store = null)
    {
        var face = Samples.Face(col.Id, externalId);
        var primary = Samples.Reference(face);
        long key = await (store ?? Store).InsertFaceAsync(face, primary);
        return (face, key, primary);
    }

    // ---- schema -------------------------------------------------------------------------------------

    [Fact]
    public async Task Migrate_is_idempotent_and_records_the_latest_schema_version()
    {
        var (_, col) = await CollectionAsync();
        await Store.MigrateAsync();
        await Store.MigrateAsync();
        var again = await OpenStoreAsync();

        Assert.Equal(SqlFaceStore.LatestSchemaVersion, await ((SqlFaceStore)again).GetSchemaVersionAsync());
        Assert.True(SqlFaceStore.LatestSchemaVersion >= 1);
        Assert.NotNull(await again.GetCollectionAsync(col.WorkspaceId, col.Id));
        Assert.True(await again.PingAsync());
    }

    [Fact]
    public async Task Data_survives_closing_and_reopening_the_store()
    {
        var (ws, col) = await CollectionAsync();
        var (face, key, primary) = await EnrollAsync(col);
        var apiKey = Samples.Key(ws.Id, "admin");
        await Store.CreateApiKeyAsync(apiKey);
        await Store.DisposeAsync();

        var reopened = await OpenStoreAsync();
        Assert.Equal(ws, await reopened.GetWorkspaceAsync(ws.Id));
        Assert.Equal(face, await reopened.GetFaceAsync(col.Id, face.Id));
        var reference = await reopened.GetReferenceAsync(key);
        Assert.NotNull(reference);
        Assert.Equal(primary.Embedding, reference.Embedding);
        Assert.Equal(primary.Crop, reference.Crop);
        Assert.Equal(apiKey.Id, (await reopened.FindApiKeyByHashAsync(apiKey.Hash))?.Id);
    }

    // ---- workspaces and keys -------------------------------------------------------------------------

    [Fact]
    public async Task Api_keys_are_found_by_hash_listed_per_workspace_and_revoked_once()
    {
        var ws1 = Samples.Workspace();
        var ws2 = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws1);
        await Store.CreateWorkspaceAsync(ws2);
        var admin = Samples.Key(ws1.Id, "admin", "write");
        var reader = Samples.Key(ws1.Id, "read");
        var other = Samples.Key(ws2.Id, "search");
        foreach (var k in new[] { admin, reader, other }) await Store.CreateApiKeyAsync(k);

        var found = await Store.FindApiKeyByHashAsync(admin.Hash);
        Assert.NotNull(found);
        Assert.Equal(admin.Id, found.Id);
        Assert.Equal(admin.Hash, found.Hash);
        Assert.Equal(["admin", "write"], found.Scopes);
        Assert.Equal(admin.CreatedAt, found.CreatedAt);
        Assert.Null(found.RevokedAt);
        Assert.Null(await Store.FindApiKeyByHashAsync(new byte[32]));

        Assert.Equal([admin.Id, reader.Id], (await Store.ListApiKeysAsync(ws1.Id)).Select(k => k.Id));
        Assert.Equal(3, (await Store.ListApiKeysAsync(null)).Count);
        Assert.Equal(3, await Store.CountApiKeysAsync());

        var at = Samples.Tick();
        Assert.True(await Store.RevokeApiKeyAsync(reader.Id, at));
        Assert.False(await Store.RevokeApiKeyAsync(reader.Id, Samples.Tick()));
        Assert.False(await Store.RevokeApiKeyAsync("key_missing", at));
        Assert.Equal(at, (await Store.FindApiKeyByHashAsync(reader.Hash))?.RevokedAt);
    }

    [Fact]
    public async Task Creating_a_key_with_an_existing_hash_or_a_workspace_twice_is_a_conflict()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var key = Samples.Key(ws.Id, "admin");
        await Store.CreateApiKeyAsync(key);

        await Assert.ThrowsAsync<StoreConflictException>(() => Store.CreateApiKeyAsync(key with { Id = Ids.New("key") }));
        await Assert.ThrowsAsync<StoreConflictException>(() => Store.CreateWorkspaceAsync(ws));
        Assert.Equal(1, await Store.CountApiKeysAsync());
    }

    // ---- collections ----------------------------------------------------------------------------------

    [Fact]
    public async Task Collections_are_created_read_updated_and_counted()
    {
        var (ws, col) = await CollectionAsync();
        Assert.Equal(col, await Store.GetCollectionAsync(ws.Id, col.Id));

        await EnrollAsync(col, "a");
        await EnrollAsync(col, "b");
        var updated = col with { Name = "staff", Description = null, SettingsJson = """{"store_face_crops":false}""", UpdatedAt = Samples.Tick() };
        Assert.True(await Store.UpdateCollectionAsync(updated));

        var read = await Store.GetCollectionAsync(ws.Id, col.Id);
        Assert.Equal(updated with { FaceCount = 2 }, read);
        Assert.Contains(await Store.ListAllCollectionsAsync(), c => c.Id == col.Id && c.FaceCount == 2);
        // The uncounted read (every enroll and search) is the same record without the count.
        Assert.Equal(updated with { FaceCount = 0 }, await Store.GetCollectionUncountedAsync(ws.Id, col.Id));
    }

    [Fact]
    public async Task Collections_page_in_creation_order_from_page_one()
    {
        var ws = Samples.Workspace();
        await Store.CreateWorkspaceAsync(ws);
        var created = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            var c = Samples.Collection(ws.Id, $"c{i}");
            await Store.CreateCollectionAsync(c);
            created.Add(c.Id);
        }

        var page1 = await Store.ListCollectionsAsync(ws.Id, 1, 2);
        var page2 = await Store.ListCollectionsAsync(ws.Id, 2, 2);
        var page3 = await Store.ListCollectionsAsync(ws.Id, 3, 2);
        var page4 = await Store.ListCollectionsAsync(ws.Id, 4, 2);

        Assert.Equal(created, page1.Items.Concat(page2.Items).Concat(page3.Items).Select(c => c.Id));
        Assert.Equal(5, page1.Total);
        Assert.Equal(3, page1.TotalPages);
        Assert.Equal(1, page1.PageNumber);
        Assert.Empty(page4.Items);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListCollectionsAsync(ws.Id, 0, 2));
    }

    [Fact]
    public async Task Another_workspace_cannot_see_update_or_delete_a_collection()
    {
        var (_, col) = await CollectionAsync();
        var intruder = Samples.Workspace();
        await Store.CreateWorkspaceAsync(intruder);

        Assert.Null(await Store.GetCollectionAsync(intruder.Id, col.Id));
        Assert.Null(await Store.GetCollectionUncountedAsync(intruder.Id, col.Id));
        Assert.False(await Store.UpdateCollectionAsync(col with { WorkspaceId = intruder.Id, Name = "stolen" }));
        Assert.False(await Store.DeleteCollectionAsync(intruder.Id, col.Id));
        Assert.Empty((await Store.ListCollectionsAsync(intruder.Id, 1, 10)).Items);
        Assert.Equal("people", (await Store.GetCollectionAsync(col.WorkspaceId, col.Id))?.Name);
    }

    [Fact]
    public async Task Deleting_a_collection_removes_its_faces_references_and_crops()
    {
        var (ws, col) = await CollectionAsync();
        var (face, key, _) = await EnrollAsync(col);
        var (_, other) = await CollectionAsync();
        var (kept, keptKey, _) = await EnrollAsync(other);

        Assert.True(await Store.DeleteCollectionAsync(ws.Id, col.Id));

        Assert.Null(await Store.GetCollectionAsync(ws.Id, col.Id));
        Assert.Null(await Store.GetFaceAsync(col.Id, face.Id));
        Assert.Null(await Store.GetReferenceAsync(key));
        Assert.Null(await Store.GetCropAsync(key));
        Assert.Empty(await Store.GetReferencesAsync(face.Id));
        Assert.False(await Store.DeleteCollectionAsync(ws.Id, col.Id));
        Assert.Equal(kept, await Store.GetFaceAsync(other.Id, kept.Id));
        Assert.NotNull(await Store.GetCropAsync(keptKey));
    }

    // ---- faces ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Faces_are_inserted_read_and_listed_in_stable_pages_with_external_id_filter()
    {
        var (_, col) = await CollectionAsync();
        var ids = new List<string>();
        var alice = new List<string>();
        for (int i = 0; i < 7; i++)
        {
            var (face, _, _) = await EnrollAsync(col, i % 2 == 0 ? "alice" : "bob");
            ids.Add(face.Id);
            if (i % 2 == 0) alice.Add(face.Id);
        }

        var first = await Store.GetFaceAsync(col.Id, ids[0]);
        Assert.NotNull(first);
        Assert.Equal("alice", first.ExternalId);
        Assert.Equal(0.87f, first.LivenessScore);

        var all = new List<string>();
        for (int page = 1; page <= 3; page++)
        {
            var p = await Store.ListFacesAsync(col.Id, null, page, 3);
            Assert.Equal(7, p.Total);
            all.AddRange(p.Items.Select(f => f.Id));
        }
        Assert.Equal(ids, all);

        var filtered = await Store.ListFacesAsync(col.Id, "alice", 1, 10);
        Assert.Equal(alice, filtered.Items.Select(f => f.Id));
        Assert.Equal(4, filtered.Total);
        Assert.Equal(alice, (await Store.GetFacesByExternalIdAsync(col.Id, "alice")).Select(f => f.Id));
        Assert.Empty((await Store.ListFacesAsync(col.Id, "nobody", 1, 10)).Items);
    }

    [Fact]
    public async Task Faces_with_the_same_creation_time_keep_a_stable_order_by_id()
    {
        var (_, col) = await CollectionAsync();
        var at = Samples.Tick();
        var faces = Enumerable.Range(0, 6).Select(_ => Samples.Face(col.Id, "same", at)).ToList();
        foreach (var f in faces) await Store.InsertFaceAsync(f, Samples.Reference(f));

        var expected = faces.Select(f => f.Id).Order(StringComparer.Ordinal).ToList();
        var paged = new List<string>();
        for (int page = 1; page <= 3; page++)
            paged.AddRange((await Store.ListFacesAsync(col.Id, null, page, 2)).Items.Select(f => f.Id));
        Assert.Equal(expected, paged);
    }

    [Fact]
    public async Task GetFaces_returns_only_the_requested_faces_of_that_collection()
    {
        var (_, col) = await CollectionAsync();
        var (_, other) = await CollectionAsync();
        var (a, _, _) = await EnrollAsync(col, "a");
        await EnrollAsync(col, "b");
        var (c, _, _) = await EnrollAsync(col, "c");
        var (foreign, _, _) = await EnrollAsync(other, "x");

        var got = await Store.GetFacesAsync(col.Id, [c.Id, a.Id, foreign.Id, "face_missing"]);
        Assert.Equal([a.Id, c.Id], got.Select(f => f.Id));
        Assert.Empty(await Store.GetFacesAsync(col.Id, []));
        Assert.Null(await Store.GetFaceAsync(other.Id, a.Id));
    }

    [Fact]
    public async Task Batch_insert_stores_all_faces_in_order_or_none()
    {
        var (ws, col) = await CollectionAsync();
        var batch = Enumerable.Range(0, 5).Select(i => Samples.Face(col.Id, $"p{i}")).Select(f => (f, Samples.Reference(f, crop: false))).ToList();

        var keys = await Store.InsertFacesAsync(batch);
        Assert.Equal(keys.Order(), keys);
        Assert.Equal(keys, (await StreamAsync(col.Id)).Select(v => v.Key));

        var orphan = Samples.Face("col_missing");
        var poisoned = new[] { Samples.Face(col.Id, "late") }.Select(f => (f, Samples.Reference(f))).Append((orphan, Samples.Reference(orphan))).ToList();
        await Assert.ThrowsAsync<StoreNotFoundException>(() => Store.InsertFacesAsync(poisoned));
        Assert.Equal(5, (await Store.GetCollectionAsync(ws.Id, col.Id))?.FaceCount);
        Assert.Equal(5, (await Store.GetChangesSinceAsync(0, 100)).Count);
    }

    [Fact]
    public async Task Inserting_a_face_into_a_missing_collection_is_a_typed_not_found_error()
    {
        var face = Samples.Face("col_missing");
        await Assert.ThrowsAsync<StoreNotFoundException>(() => Store.InsertFaceAsync(face, Samples.Reference(face)));
        Assert.Equal(0, await Store.GetLatestChangeSeqAsync());
    }

    [Fact]
    public async Task Inserting_a_face_with_an_existing_id_is_a_conflict_and_writes_nothing()
    {
        var (_, col) = await CollectionAsync();
        var (face, _, _) = await EnrollAsync(col);
        long seq = await Store.GetLatestChangeSeqAsync();

        await Assert.ThrowsAsync<StoreConflictException>(() => Store.InsertFaceAsync(face, Samples.Reference(face)));
        Assert.Equal(seq, await Store.GetLatestChangeSeqAsync());
        Assert.Single(await Store.GetReferencesAsync(face.Id));
    }

    [Fact]
    public async Task Face_metadata_update_is_stored_and_scoped_to_the_collection()
    {
        var (_, col) = await CollectionAsync();
        var (_, other) = await CollectionAsync();
        var (face, _, _) = await EnrollAsync(col);
        var at = Samples.Tick();

        Assert.True(await Store.UpdateFaceMetadataAsync(col.Id, face.Id, """{"team":"red"}""", at));
        Assert.False(await Store.UpdateFaceMetadataAsync(other.Id, face.Id, "{}", at));
        Assert.False(await Store.UpdateFaceMetadataAsync(col.Id, "face_missing", "{}", at));

        var read = await Store.GetFaceAsync(col.Id, face.Id);
        Assert.Equal(face with { MetadataJson = """{"team":"red"}""", UpdatedAt = at }, read);
    }

    [Fact]
    public async Task Delete_face_returns_its_reference_keys_and_removes_crops_and_embeddings()
    {
        var (_, col) = await CollectionAsync();
        var (face, primaryKey, _) = await EnrollAsync(col);
        var auto = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), 5);
        var (kept, keptKey, _) = await EnrollAsync(col, "other");

        Assert.Empty(await Store.DeleteFaceAsync("col_other", face.Id));
        var deleted = await Store.DeleteFaceAsync(col.Id, face.Id);

        Assert.Equal([primaryKey, auto.Key], deleted);
        Assert.Null(await Store.GetFaceAsync(col.Id, face.Id));
        foreach (long key in deleted)
        {
            Assert.Null(await Store.GetReferenceAsync(key));
            Assert.Null(await Store.GetCropAsync(key));
        }
        Assert.Empty(await Store.GetReferencesAsync(face.Id));
        Assert.Empty(await Store.DeleteFaceAsync(col.Id, face.Id));
        Assert.Equal([keptKey], (await StreamAsync(col.Id)).Select(v => v.Key));
        Assert.NotNull(await Store.GetFaceAsync(col.Id, kept.Id));
    }

    // ---- references -------------------------------------------------------------------------------------

    [Fact]
    public async Task Reference_round_trips_embedding_crop_and_source()
    {
        var (_, col) = await CollectionAsync();
        var face = Samples.Face(col.Id);
        var primary = Samples.Reference(face, seed: 42);
        long key = await Store.InsertFaceAsync(face, primary);

        var read = await Store.GetReferenceAsync(key);
        Assert.NotNull(read);
        Assert.Equal(primary with { Key = key }, read with { Embedding = primary.Embedding, Crop = primary.Crop });
        Assert.Equal(primary.Embedding, read.Embedding);
        Assert.Equal(primary.Crop, read.Crop);
        Assert.Equal(Samples.CropBytes, (await Store.GetCropAsync(key))?.Length);

        var noCrop = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto, crop: false), 5);
        Assert.Null(await Store.GetCropAsync(noCrop.Key));
        Assert.Equal([ReferenceSource.Enroll, ReferenceSource.Auto], (await Store.GetReferencesAsync(face.Id)).Select(r => r.Source));
    }

    [Fact]
    public async Task Auto_references_are_capped_replacing_the_oldest_auto_and_never_the_primary()
    {
        var (_, col) = await CollectionAsync();
        var (face, primaryKey, _) = await EnrollAsync(col);
        var autoKeys = new List<long>();
        for (int i = 0; i < 2; i++)
        {
            var added = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), maxReferences: 3);
            Assert.Empty(added.RemovedKeys);
            autoKeys.Add(added.Key);
        }

        var fourth = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), maxReferences: 3);
        Assert.Equal([autoKeys[0]], fourth.RemovedKeys);
        var fifth = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), maxReferences: 3);
        Assert.Equal([autoKeys[1]], fifth.RemovedKeys);

        var refs = await Store.GetReferencesAsync(face.Id);
        Assert.Equal([primaryKey, fourth.Key, fifth.Key], refs.Select(r => r.Key));
        Assert.Null(await Store.GetCropAsync(autoKeys[0]));

        // Even a cap of one keeps the primary: the new auto reference is the one that goes.
        var sixth = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), maxReferences: 1);
        Assert.Contains(primaryKey, (await Store.GetReferencesAsync(face.Id)).Select(r => r.Key));
        Assert.DoesNotContain(primaryKey, sixth.RemovedKeys);
        Assert.Single(await Store.GetReferencesAsync(face.Id));
    }

    [Fact]
    public async Task Adding_a_reference_to_a_missing_face_is_a_typed_not_found_error()
    {
        var (_, col) = await CollectionAsync();
        var ghost = Samples.Face(col.Id);
        await Assert.ThrowsAsync<StoreNotFoundException>(() => Store.AddReferenceAsync(Samples.Reference(ghost, ReferenceSource.Auto), 5));
    }

    [Fact]
    public async Task Delete_reference_removes_an_auto_reference_but_never_the_primary()
    {
        var (_, col) = await CollectionAsync();
        var (face, primaryKey, primary) = await EnrollAsync(col);
        var autoRef = Samples.Reference(face, ReferenceSource.Auto);
        var auto = await Store.AddReferenceAsync(autoRef, 5);

        Assert.Null(await Store.DeleteReferenceAsync(face.Id, primary.Id));
        Assert.Equal(auto.Key, await Store.DeleteReferenceAsync(face.Id, autoRef.Id));
        Assert.Null(await Store.DeleteReferenceAsync(face.Id, autoRef.Id));
        Assert.Equal([primaryKey], (await Store.GetReferencesAsync(face.Id)).Select(r => r.Key));
    }

    [Fact]
    public async Task StreamVectors_returns_exactly_the_live_references_of_the_collection()
    {
        var (_, col) = await CollectionAsync();
        var (_, other) = await CollectionAsync();
        var (a, aKey, aPrimary) = await EnrollAsync(col, "alice");
        var aAutoRef = Samples.Reference(a, ReferenceSource.Auto);
        var aAuto = await Store.AddReferenceAsync(aAutoRef, 5);
        var (b, _, _) = await EnrollAsync(col, "bob");
        var (c, cKey, _) = await EnrollAsync(col, "carol");
        await EnrollAsync(other, "elsewhere");
        await Store.DeleteFaceAsync(col.Id, b.Id);

        var vectors = await StreamAsync(col.Id);

        Assert.Equal([aKey, aAuto.Key, cKey], vectors.Select(v => v.Key));
        Assert.Equal(["alice", "alice", "carol"], vectors.Select(v => v.ExternalId));
        Assert.Equal([a.Id, a.Id, c.Id], vectors.Select(v => v.FaceId));
        Assert.Equal(aPrimary.Embedding, vectors[0].Embedding);
        Assert.Equal(aAutoRef.Embedding, vectors[1].Embedding);
        Assert.Empty(await StreamAsync("col_missing"));
    }

    [Fact]
    public async Task UpdateEmbedding_replaces_the_vector_that_streams()
    {
        var (_, col) = await CollectionAsync();
        var (_, key, _) = await EnrollAsync(col);
        var replacement = Samples.Embedding(7);

        Assert.True(await Store.UpdateEmbeddingAsync(key, replacement, "fr_feature@2"));
        Assert.False(await Store.UpdateEmbeddingAsync(key + 1000, replacement, "fr_feature@2"));
        Assert.Equal(replacement, (await StreamAsync(col.Id)).Single().Embedding);
    }

    protected async Task<List<StoredVector>> StreamAsync(string collectionId, IFaceStore? store = null)
    {
        var list = new List<StoredVector>();
        await foreach (var v in (store ?? Store).StreamVectorsAsync(collectionId)) list.Add(v);
        return list;
    }

    // ---- change log ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Change_log_records_every_write_that_affects_search_in_order()
    {
        var (ws, col) = await CollectionAsync();
        Assert.Equal(0, await Store.GetLatestChangeSeqAsync());

        var (face, primaryKey, _) = await EnrollAsync(col);
        var auto = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), 5);
        var autoRef2 = Samples.Reference(face, ReferenceSource.Auto);
        var auto2 = await Store.AddReferenceAsync(autoRef2, 5);
        await Store.DeleteReferenceAsync(face.Id, autoRef2.Id);
        await Store.UpdateFaceMetadataAsync(col.Id, face.Id, "{}", Samples.Tick());
        await Store.DeleteFaceAsync(col.Id, face.Id);
        await Store.DeleteCollectionAsync(ws.Id, col.Id);
        // Writes that change nothing log nothing.
        await Store.DeleteFaceAsync(col.Id, face.Id);
        await Store.UpdateFaceMetadataAsync(col.Id, face.Id, "{}", Samples.Tick());

        var changes = await Store.GetChangesSinceAsync(0, 100);
        Assert.Equal(
        [
            (ChangeKind.ReferenceAdded, face.Id, (long?)primaryKey),
            (ChangeKind.ReferenceAdded, face.Id, auto.Key),
            (ChangeKind.ReferenceAdded, face.Id, auto2.Key),
            (ChangeKind.ReferenceRemoved, face.Id, auto2.Key),
            (ChangeKind.FaceUpdated, face.Id, null),
            (ChangeKind.ReferenceRemoved, face.Id, primaryKey),
            (ChangeKind.ReferenceRemoved, face.Id, auto.Key),
            (ChangeKind.FaceDeleted, face.Id, null),
            (ChangeKind.CollectionDeleted, null, null),
        ], changes.Select(c => (c.Kind, c.FaceId, c.ReferenceKey)));
        Assert.All(changes, c => Assert.Equal(col.Id, c.CollectionId));
        Assert.Equal(changes.Select(c => c.Seq).Order(), changes.Select(c => c.Seq));
        Assert.Equal(changes[^1].Seq, await Store.GetLatestChangeSeqAsync());

        var tail = await Store.GetChangesSinceAsync(changes[5].Seq, 2);
        Assert.Equal([changes[6].Seq, changes[7].Seq], tail.Select(c => c.Seq));
    }

    [Fact]
    public async Task A_displaced_auto_reference_is_logged_as_removed()
    {
        var (_, col) = await CollectionAsync();
        var (face, _, _) = await EnrollAsync(col);
        var first = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), 2);
        long before = await Store.GetLatestChangeSeqAsync();
        var second = await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), 2);

        var changes = await Store.GetChangesSinceAsync(before, 10);
        Assert.Equal([(ChangeKind.ReferenceAdded, second.Key), (ChangeKind.ReferenceRemoved, first.Key)],
            changes.Select(c => (c.Kind, c.ReferenceKey ?? 0)));
    }

    [Fact]
    public async Task Pruning_drops_old_change_rows_and_idempotency_records_only()
    {
        var (_, col) = await CollectionAsync();
        await EnrollAsync(col, "a");
        await EnrollAsync(col, "b");
        var store = (SqlFaceStore)Store;
        long firstSeq = await store.GetOldestChangeSeqAsync();
        var old = new IdempotencyRecord("ws_p", "old", [1], 201, "{}", Samples.Tick());
        var recent = new IdempotencyRecord("ws_p", "recent", [1], 201, "{}", DateTimeOffset.UtcNow.AddDays(1));
        await Store.TryPutIdempotencyAsync(old);
        await Store.TryPutIdempotencyAsync(recent);

        long latest = await Store.GetLatestChangeSeqAsync();
        Assert.Equal(0, await store.PruneChangesAsync(DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.Equal(1, await store.PruneChangesAsync(DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal([latest], (await Store.GetChangesSinceAsync(0, 10)).Select(c => c.Seq));
        Assert.Equal(latest, await Store.GetLatestChangeSeqAsync());
        Assert.Equal(latest, await store.GetOldestChangeSeqAsync());
        Assert.True(latest > firstSeq);
        Assert.Equal(1, await store.PruneIdempotencyAsync(DateTimeOffset.UtcNow));
        Assert.Null(await Store.GetIdempotencyAsync("ws_p", "old"));
        Assert.NotNull(await Store.GetIdempotencyAsync("ws_p", "recent"));

        // Numbering continues after a prune: a follower never sees a seq reused.
        var (face, _, _) = await EnrollAsync(col, "c");
        var next = Assert.Single(await Store.GetChangesSinceAsync(latest, 10));
        Assert.Equal(latest + 1, next.Seq);
        Assert.Equal(face.Id, next.FaceId);
    }

    // ---- idempotency ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Idempotency_record_is_put_once_per_workspace_and_key()
    {
        var ws = Samples.Workspace();
        var first = new IdempotencyRecord(ws.Id, "create-1", [1, 2, 3], 201, """{"id":"face_x"}""", Samples.Tick());

        Assert.Null(await Store.GetIdempotencyAsync(ws.Id, "create-1"));
        Assert.True(await Store.TryPutIdempotencyAsync(first));
        Assert.False(await Store.TryPutIdempotencyAsync(first with { RequestHash = [9], StatusCode = 500, ResponseBody = "{}" }));
        Assert.True(await Store.TryPutIdempotencyAsync(first with { WorkspaceId = "ws_other" }));

        var stored = await Store.GetIdempotencyAsync(ws.Id, "create-1");
        Assert.NotNull(stored);
        Assert.Equal(first with { RequestHash = [] }, stored with { RequestHash = [] });
        Assert.Equal(first.RequestHash, stored.RequestHash);
    }

    [Fact]
    public async Task Concurrent_puts_of_one_idempotency_key_have_exactly_one_winner()
    {
        var record = new IdempotencyRecord("ws_race", "k", [1], 201, "{}", Samples.Tick());
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.TryPutIdempotencyAsync(record with { StatusCode = 200 + i }))));
        Assert.Single(results, won => won);
    }

    // ---- concurrency ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Parallel_inserts_from_several_tasks_lose_no_rows()
    {
        var (ws, col) = await CollectionAsync();
        const int tasks = 8, perTask = 25;
        var keys = await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (int i = 0; i < perTask; i++)
            {
                var face = Samples.Face(col.Id, $"t{t}");
                mine.Add(await Store.InsertFaceAsync(face, Samples.Reference(face, crop: i % 2 == 0)));
                if (i % 5 == 0) await Store.AddReferenceAsync(Samples.Reference(face, ReferenceSource.Auto), 3);
            }
            return mine;
        })));

        var all = keys.SelectMany(k => k).ToList();
        Assert.Equal(tasks * perTask, all.Distinct().Count());
        Assert.Equal(tasks * perTask, (await Store.GetCollectionAsync(ws.Id, col.Id))?.FaceCount);
        var streamed = await StreamAsync(col.Id);
        Assert.Equal(tasks * perTask + tasks * (perTask / 5), streamed.Count);
        Assert.Subset(streamed.Select(v => v.Key).ToHashSet(), all.ToHashSet());
        var changes = await Store.GetChangesSinceAsync(0, 10_000);
        Assert.Equal(streamed.Count, changes.Count);
        Assert.Equal(changes.Count, changes.Select(c => c.Seq).Distinct().Count());
    }
}
