using Visage.Engine;
using Visage.Storage;

namespace Visage.Service;

public sealed record EnrollRequest(ImageInput Image, string? ExternalId, string? MetadataJson, bool? CheckLiveness);

public sealed record ImportedFace(string ExternalId, float[] Embedding, string? MetadataJson);

public sealed class FaceService(IFaceStore store, IndexManager indexes, FacePipeline pipeline, CollectionService collections,
    InferenceOptions inference, TimeProvider clock, AuditLog? audit = null)
{
    public async Task<FaceView> EnrollAsync(Caller caller, string collectionId, EnrollRequest request, CancellationToken ct,
        string? idempotencyKey = null)
    {
        caller.Require(Scopes.Write);
        var collection = await collections.RequireAsync(caller, collectionId, ct);
        return await EnrollIntoAsync(caller, collection, request, ItemFaceId(caller, collection, idempotencyKey, 0), ct);
    }

    /// <summary>With an Idempotency-Key each item gets a face id derived from it, so a retry after a crash (which left no
    /// stored answer) finds the faces its first attempt committed instead of enrolling them twice.</summary>
    static string? ItemFaceId(Caller caller, CollectionRecord collection, string? idempotencyKey, int index) =>
        idempotencyKey is null ? null : Ids.Derived("face", $"{caller.WorkspaceId}\n{collection.Id}\n{idempotencyKey}\n{index}");

    /// <summary>Enrols each item independently: a failed item never rolls back another.</summary>
    public async Task<BatchView> EnrollBatchAsync(Caller caller, string collectionId, IReadOnlyList<EnrollRequest> items, CancellationToken ct,
        string? idempotencyKey = null)
    {
        caller.Require(Scopes.Write);
        if (items.Count == 0) throw new ValidationFailedException("At least one image is required.", "images");
        if (items.Count > 100) throw new ValidationFailedException("At most 100 images per batch.", "images");
        var collection = await collections.RequireAsync(caller, collectionId, ct);
        var results = new BatchItemResult[items.Count];
        // As many items at once as there are workers: a batch must not fill the shared queue by itself.
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, inference.Workers), CancellationToken = ct },
            async (i, token) =>
            {
                try { results[i] = new BatchItemResult(i, true, await EnrollIntoAsync(caller, collection, items[i], ItemFaceId(caller, collection, idempotencyKey, i), token), null); }
                catch (VisageApiException e) { results[i] = new BatchItemResult(i, false, null, ErrorView.From(e)); }
            });
        int ok = 0;
        foreach (var r in results) if (r.Success) ok++;
        return new BatchView(results, ok, results.Length - ok);
    }

    async Task<FaceView> EnrollIntoAsync(Caller caller, CollectionRecord collection, EnrollRequest request, string? faceId, CancellationToken ct)
    {
        if (faceId is not null && await EnrolledAsync(collection.Id, faceId, ct) is { } earlier) return earlier;
        var externalId = Metadata.ValidateExternalId(request.ExternalId);
        var metadata = Metadata.Normalize(request.MetadataJson);
        var settings = CollectionSettings.FromJson(collection.SettingsJson);
        bool liveness = request.CheckLiveness ?? settings.CheckLiveness;
        var analysis = await pipeline.AnalyzeAsync(request.Image, new AnalyzeOptions(Liveness: liveness, Quality: true, AlignedCrop: settings.StoreFaceCrops, SubjectOnly: true), ct);
        var face = FacePipeline.Subject(analysis);
        // Liveness first: a presentation attack is the finding that matters, whatever its quality.
        if (liveness) pipeline.RequireLiveness(face, settings);
        FacePipeline.RequireQuality(face, settings);

        var now = clock.GetUtcNow();
        var record = new FaceRecord(faceId ?? Ids.New("face"), collection.Id, externalId, metadata, face.Quality.Score, face.Liveness?.Score,
            face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height, analysis.FacesDetected, pipeline.Info.ModelVersion, now, now);
        var reference = new ReferenceRecord(0, Ids.New("ref"), record.Id, collection.Id, ReferenceSource.Enroll, face.Quality.Score,
            face.Embedding, settings.StoreFaceCrops ? face.AlignedCrop : null, now);
        // Not cancellable from here on: a stored face must also reach the index.
        long key;
        try { key = await store.InsertFaceAsync(record, reference, CancellationToken.None); }
        catch (StoreConflictException) when (faceId is not null)
        {
            // The same item sent twice at once: the other request stored it first.
            return await EnrolledAsync(collection.Id, faceId, CancellationToken.None) ?? throw new ConflictException($"Face {faceId} was enrolled and deleted while this retry ran.");
        }
        indexes.Add(collection.Id, key, record.Id, externalId, face.Embedding);
        await RecordAsync(caller, AuditActions.FaceEnrolled, record.Id, collection.Id, new Dictionary<string, object?> { ["reference_id"] = reference.Id });
        return Views.Face(record, referenceId: reference.Id);
    }

    async Task<FaceView?> EnrolledAsync(string collectionId, string faceId, CancellationToken ct)
    {
        if (await store.GetFaceAsync(collectionId, faceId, ct) is not { } face) return null;
        string? primary = null;
        foreach (var r in await store.GetReferencesAsync(faceId, ct))
            if (r.Source == ReferenceSource.Enroll) primary = r.Id;
        return Views.Face(face, referenceId: primary);
    }

    /// <summary>Admin-only bulk path for embeddings computed elsewhere (benchmarks, migrations): no image, no crop.</summary>
    public async Task<int> ImportAsync(Caller caller, string collectionId, IReadOnlyList<ImportedFace> faces, CancellationToken ct)
    {
        caller.Require(Scopes.Admin);
        var collection = await collections.RequireAsync(caller, collectionId, ct);
        if (faces.Count > 10_000) throw new ValidationFailedException("At most 10,000 faces per import call.", "faces");
        int dim = pipeline.Info.EmbeddingSize;
        foreach (var f in faces)
        {
            Metadata.ValidateExternalId(f.ExternalId);
            if (f.Embedding is null || f.Embedding.Length != dim)
                throw new ValidationFailedException($"Each embedding must hold {dim} floats.", "faces.embedding");
        }
        foreach (var f in faces)
        {
            var v = (float[])f.Embedding.Clone();
            float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(v, v));
            if (norm == 0 || float.IsNaN(norm)) throw new ValidationFailedException("An embedding must be non-zero.", "faces.embedding");
            System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
            var now = clock.GetUtcNow();
            var record = new FaceRecord(Ids.New("face"), collection.Id, f.ExternalId, Metadata.Normalize(f.MetadataJson), 1, null,
                0, 0, 0, 0, 1, pipeline.Info.ModelVersion, now, now);
            var reference = new ReferenceRecord(0, Ids.New("ref"), record.Id, collection.Id, ReferenceSource.Enroll, 1, v, null, now);
            var key = await store.InsertFaceAsync(record, reference, CancellationToken.None);
            indexes.Add(collection.Id, key, record.Id, f.ExternalId, v);
        }
        return faces.Count;
    }

    public async Task<PageView<FaceView>> ListAsync(Caller caller, string collectionId, string? externalId, int? page, int? pageSize, CancellationToken ct)
    {
        caller.Require(Scopes.Read);
        var (p, s) = Paging.Validate(page, pageSize);
        await collections.RequireAsync(caller, collectionId, ct);
        var result = await store.ListFacesAsync(collectionId, string.IsNullOrEmpty(externalId) ? null : externalId, p, s, ct);
        return Paging.Map(result, f => Views.Face(f));
    }

    public async Task<FaceView> GetAsync(Caller caller, string collectionId, string faceId, CancellationToken ct)
    {
        caller.Require(Scopes.Read);
        var face = await RequireFaceAsync(caller, collectionId, faceId, ct);
        return Views.Face(face, await store.GetReferencesAsync(faceId, ct));
    }

    public async Task<FaceView> UpdateMetadataAsync(Caller caller, string collectionId, string faceId, string? metadataJson, CancellationToken ct)
    {
        caller.Require(Scopes.Write);
        if (metadataJson is null) throw new ValidationFailedException("metadata is required.", "metadata");
        var metadata = Metadata.Normalize(metadataJson);
        await RequireFaceAsync(caller, collectionId, faceId, ct);
        if (!await store.UpdateFaceMetadataAsync(collectionId, faceId, metadata, clock.GetUtcNow(), ct)) throw new FaceNotFoundException(faceId);
        await RecordAsync(caller, AuditActions.FaceMetadataUpdated, faceId, collectionId);
        return await GetAsync(caller with { Scopes = [Scopes.Read] }, collectionId, faceId, ct);
    }

    public async Task<DeletedView> DeleteAsync(Caller caller, string collectionId, string faceId, CancellationToken ct)
    {
        caller.Require(Scopes.Write);
        await collections.RequireAsync(caller, collectionId, ct);
        if (!Ids.IsValid(faceId, "face")) throw new FaceNotFoundException(faceId);
        // Tombstone first: from here no search returns the face and no racing auto-enrol re-adds it.
        indexes.MarkFaceDeleted(collectionId, faceId);
        var keys = await store.DeleteFaceAsync(collectionId, faceId, CancellationToken.None);
        if (keys.Count == 0) throw new FaceNotFoundException(faceId);
        indexes.RemoveReferences(collectionId, keys);
        await RecordAsync(caller, AuditActions.FaceDeleted, faceId, collectionId, new Dictionary<string, object?> { ["references"] = keys.Count });
        return new DeletedView(FaceId: faceId);
    }

    public async Task<DeletedView> DeleteReferenceAsync(Caller caller, string collectionId, string faceId, string referenceId, CancellationToken ct)
    {
        caller.Require(Scopes.Write);
        await RequireFaceAsync(caller, collectionId, faceId, ct);
        var reference = await FindReferenceAsync(faceId, referenceId, ct);
        if (reference.Source == ReferenceSource.Enroll) throw new PrimaryReferenceProtectedException();
        var key = await store.DeleteReferenceAsync(faceId, referenceId, CancellationToken.None) ?? throw new ReferenceNotFoundException(referenceId);
        indexes.RemoveReferences(collectionId, [key]);
        await RecordAsync(caller, AuditActions.ReferenceDeleted, faceId, collectionId, new Dictionary<string, object?> { ["reference_id"] = referenceId });
        return new DeletedView(FaceId: faceId, ReferenceId: referenceId);
    }

    /// <summary>The stored 112×112 aligned RGB crop of a reference, or null when the collection keeps none.</summary>
    public async Task<byte[]?> GetCropAsync(Caller caller, string collectionId, string faceId, string referenceId, CancellationToken ct)
    {
        caller.Require(Scopes.Read);
        await RequireFaceAsync(caller, collectionId, faceId, ct);
        var reference = await FindReferenceAsync(faceId, referenceId, ct);
        return await store.GetCropAsync(reference.Key, ct);
    }

    async Task<ReferenceInfo> FindReferenceAsync(string faceId, string referenceId, CancellationToken ct)
    {
        foreach (var r in await store.GetReferencesAsync(faceId, ct))
            if (r.Id == referenceId) return r;
        throw new ReferenceNotFoundException(referenceId);
    }

    public async Task<FaceRecord> RequireFaceAsync(Caller caller, string collectionId, string faceId, CancellationToken ct)
    {
        await collections.RequireAsync(caller, collectionId, ct);
        if (!Ids.IsValid(faceId, "face")) throw new FaceNotFoundException(faceId);
        return await store.GetFaceAsync(collectionId, faceId, ct) ?? throw new FaceNotFoundException(faceId);
    }

    Task RecordAsync(Caller caller, string action, string faceId, string collectionId, IReadOnlyDictionary<string, object?>? details = null) =>
        audit?.RecordAsync(caller, action, "face", faceId, collectionId, details) ?? Task.CompletedTask;
}
