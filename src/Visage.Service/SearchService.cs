using Visage.Engine;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Service;

public sealed record IdentifyRequest(ImageInput Image, int? TopK, float? Threshold, bool? CheckLiveness, bool? AutoEnroll);
public sealed record VerifyRequest(ImageInput Image, float? Threshold, bool? CheckLiveness);

public sealed class SearchService(IFaceStore store, IndexManager indexes, FacePipeline pipeline, CollectionService collections,
    FaceService faces, MetricsRegistry metrics, TimeProvider clock, AuditLog? audit = null)
{
    public const int DefaultTopK = 5, MaxTopK = 100;
    /// <summary>A query this close to an existing reference is the same photo again: storing it adds nothing.</summary>
    const float DuplicateSimilarity = 0.995f;

    public async Task<IdentifyView> IdentifyAsync(Caller caller, string collectionId, IdentifyRequest request, CancellationToken ct)
    {
        caller.Require(Scopes.Search);
        int topK = request.TopK ?? DefaultTopK;
        if (topK < 1 || topK > MaxTopK) throw new ValidationFailedException($"top_k must be between 1 and {MaxTopK}.", "top_k");
        ValidateThreshold(request.Threshold);
        var collection = await collections.RequireAsync(caller, collectionId, ct);
        var settings = CollectionSettings.FromJson(collection.SettingsJson);
        bool liveness = request.CheckLiveness ?? settings.CheckLiveness;
        bool autoEnroll = request.AutoEnroll ?? settings.AutoEnroll;

        var analysis = await pipeline.AnalyzeAsync(request.Image, new AnalyzeOptions(Liveness: liveness, Quality: true, AlignedCrop: autoEnroll && settings.StoreFaceCrops, SubjectOnly: true), ct);
        var face = FacePipeline.Subject(analysis);
        if (liveness) pipeline.RequireLiveness(face, settings);

        float threshold = request.Threshold ?? settings.IdentifyThreshold(pipeline.Thresholds);
        long searchStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var hits = indexes.Search(collection.Id, face.Embedding, topK, threshold);
        metrics.ObserveStage("index_search", System.Diagnostics.Stopwatch.GetElapsedTime(searchStarted).TotalMilliseconds);
        var matches = new List<MatchView>(hits.Count);
        if (hits.Count > 0)
        {
            var ids = new List<string>(hits.Count);
            foreach (var h in hits) ids.Add(h.FaceId);
            var records = new Dictionary<string, FaceRecord>(StringComparer.Ordinal);
            foreach (var r in await store.GetFacesAsync(collection.Id, ids, ct)) records[r.Id] = r;
            // The store is the truth: a face deleted between search and read is dropped here.
            foreach (var h in hits)
                if (records.TryGetValue(h.FaceId, out var r))
                    matches.Add(new MatchView(h.FaceId, h.ExternalId, Views.Round(h.Similarity), Metadata.Parse(r.MetadataJson)));
        }

        AutoEnrolledView? auto = null;
        if (autoEnroll && matches.Count > 0 && hits[0].Similarity >= settings.EffectiveAutoEnrollThreshold(pipeline.Thresholds)
            && hits[0].Similarity < DuplicateSimilarity && matches[0].FaceId == hits[0].FaceId
            && FacePipeline.PassesQuality(face, settings))
        {
            auto = await AutoEnrollAsync(collection, settings, hits[0], face);
            if (auto is not null && audit is not null)
                await audit.RecordAsync(caller, AuditActions.ReferenceAutoEnrolled, "face", auto.FaceId, collection.Id,
                    new Dictionary<string, object?> { ["reference_id"] = auto.ReferenceId });
        }
        return new IdentifyView(Views.Query(face), matches, auto, analysis.FacesDetected);
    }

    async Task<AutoEnrolledView?> AutoEnrollAsync(CollectionRecord collection, CollectionSettings settings, PersonHit best, DetectedFace face)
    {
        var reference = new ReferenceRecord(0, Ids.New("ref"), best.FaceId, collection.Id, ReferenceSource.Auto, face.Quality.Score,
            face.Embedding, settings.StoreFaceCrops ? face.AlignedCrop : null, clock.GetUtcNow());
        AddReferenceResult added;
        try { added = await store.AddReferenceAsync(reference, settings.MaxReferencesPerFace, CancellationToken.None); }
        catch (Exception) when (indexes.IsFaceDeleted(collection.Id, best.FaceId))
        {
            return null; // the face was deleted while we searched: nothing to add to
        }
        indexes.RemoveReferences(collection.Id, added.RemovedKeys);
        if (!indexes.Add(collection.Id, added.Key, best.FaceId, best.ExternalId, face.Embedding)) return null;
        metrics.Count("auto_enroll");
        return new AutoEnrolledView(best.FaceId, reference.Id);
    }

    public async Task<VerifyView> VerifyFaceAsync(Caller caller, string collectionId, string faceId, VerifyRequest request, CancellationToken ct)
    {
        caller.Require(Scopes.Search);
        ValidateThreshold(request.Threshold);
        var record = await faces.RequireFaceAsync(caller, collectionId, faceId, ct);
        return await VerifyAgainstAsync(caller, collectionId, [record], record.ExternalId, request, ct);
    }

    public async Task<VerifyView> VerifyPersonAsync(Caller caller, string collectionId, string? externalId, VerifyRequest request, CancellationToken ct)
    {
        caller.Require(Scopes.Search);
        ValidateThreshold(request.Threshold);
        externalId = Metadata.ValidateExternalId(externalId);
        await collections.RequireAsync(caller, collectionId, ct);
        var owned = await store.GetFacesByExternalIdAsync(collectionId, externalId, ct);
        if (owned.Count == 0) throw new ExternalIdNotFoundException(externalId);
        return await VerifyAgainstAsync(caller, collectionId, owned, externalId, request, ct);
    }

    async Task<VerifyView> VerifyAgainstAsync(Caller caller, string collectionId, IReadOnlyList<FaceRecord> candidates, string externalId,
        VerifyRequest request, CancellationToken ct)
    {
        var collection = await collections.RequireAsync(caller, collectionId, ct);
        var settings = CollectionSettings.FromJson(collection.SettingsJson);
        bool liveness = request.CheckLiveness ?? settings.CheckLiveness;
        var analysis = await pipeline.AnalyzeAsync(request.Image, new AnalyzeOptions(Liveness: liveness, Quality: true, SubjectOnly: true), ct);
        var face = FacePipeline.Subject(analysis);
        if (liveness) pipeline.RequireLiveness(face, settings);

        // 1:1 reads the stored references directly: exact, and independent of the index's state.
        float best = float.NegativeInfinity;
        string? bestFace = null;
        foreach (var candidate in candidates)
            foreach (var info in await store.GetReferencesAsync(candidate.Id, ct))
            {
                var reference = await store.GetReferenceAsync(info.Key, ct);
                if (reference is null || reference.Embedding.Length != face.Embedding.Length) continue;
                float s = FacePipeline.Similarity(face.Embedding, reference.Embedding);
                if (s > best) { best = s; bestFace = candidate.Id; }
            }
        if (bestFace is null) throw new FaceNotFoundException(candidates[0].Id);
        float threshold = request.Threshold ?? settings.VerifyThreshold(pipeline.Thresholds);
        return new VerifyView(best >= threshold, Views.Round(best), threshold, bestFace, externalId, Views.Query(face));
    }

    public async Task<CompareView> CompareAsync(Caller caller, ImageInput a, ImageInput b, float? threshold, CancellationToken ct)
    {
        caller.Require(Scopes.Search);
        ValidateThreshold(threshold);
        var options = new AnalyzeOptions(Liveness: false, Quality: true, SubjectOnly: true);
        var ta = pipeline.AnalyzeAsync(a, options, ct);
        var tb = pipeline.AnalyzeAsync(b, options, ct);
        var fa = FacePipeline.Subject(await ta, "image_a");
        var fb = FacePipeline.Subject(await tb, "image_b");
        float s = FacePipeline.Similarity(fa.Embedding, fb.Embedding);
        float t = threshold ?? pipeline.Thresholds.Verify;
        return new CompareView(s >= t, Views.Round(s), t, Views.Query(fa), Views.Query(fb));
    }

    public async Task<DetectView> DetectAsync(Caller caller, ImageInput image, bool? checkLiveness, CancellationToken ct)
    {
        caller.Require(Scopes.Search);
        var analysis = await pipeline.AnalyzeAsync(image, new AnalyzeOptions(Liveness: checkLiveness ?? true, Quality: true), ct);
        var list = new List<DetectedFaceView>(analysis.Faces.Count);
        for (int i = 0; i < analysis.Faces.Count; i++) list.Add(Views.Detected(analysis.Faces[i], i == analysis.SubjectIndex));
        return new DetectView(analysis.ImageWidth, analysis.ImageHeight, list);
    }

    static void ValidateThreshold(float? t)
    {
        if (t is { } v && (float.IsNaN(v) || v < -1 || v > 1)) throw new ValidationFailedException("threshold must be between -1 and 1.", "threshold");
    }
}
