using System.Text.Json;
using Visage.Engine;
using Visage.Storage;

namespace Visage.Service;

public static class Paging
{
    public const int DefaultPageSize = 50, MaxPageSize = 1000;

    public static (int Page, int PageSize) Validate(int? page, int? pageSize)
    {
        int p = page ?? 1, s = pageSize ?? DefaultPageSize;
        if (p < 1) throw new ValidationFailedException("page must be 1 or more.", "page");
        if (s < 1 || s > MaxPageSize) throw new ValidationFailedException($"page_size must be between 1 and {MaxPageSize}.", "page_size");
        return (p, s);
    }

    public static PageView<TOut> Map<TIn, TOut>(Page<TIn> page, Func<TIn, TOut> map)
    {
        var items = new List<TOut>(page.Items.Count);
        foreach (var i in page.Items) items.Add(map(i));
        return new PageView<TOut>(items, page.PageNumber, page.PageSize, page.Total, page.TotalPages);
    }
}

public static class Metadata
{
    public const int MaxBytes = 16 * 1024;
    public const int MaxExternalIdLength = 256;

    /// <summary>Checks that metadata is a JSON object of at most 16 KB; returns its compact form.</summary>
    public static string Normalize(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return "{}";
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxBytes)
            throw new ValidationFailedException("metadata must be at most 16 KB.", "metadata");
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ValidationFailedException("metadata must be a JSON object.", "metadata");
            return doc.RootElement.GetRawText();
        }
        catch (JsonException) { throw new ValidationFailedException("metadata must be a JSON object.", "metadata"); }
    }

    public static string ValidateExternalId(string? externalId)
    {
        if (string.IsNullOrWhiteSpace(externalId)) throw new ValidationFailedException("external_id is required.", "external_id");
        if (externalId.Length > MaxExternalIdLength)
            throw new ValidationFailedException($"external_id must be at most {MaxExternalIdLength} characters.", "external_id");
        return externalId;
    }

    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
        return doc.RootElement.Clone();
    }
}

public static class Views
{
    public static CollectionView Collection(CollectionRecord r, ModelThresholds m)
    {
        var s = CollectionSettings.FromJson(r.SettingsJson);
        return new CollectionView(r.Id, r.Name, r.Description, r.FaceCount, r.ModelVersion, s,
            new EffectiveThresholds(s.IdentifyThreshold(m), s.VerifyThreshold(m), s.EffectiveAutoEnrollThreshold(m), s.EffectiveLivenessThreshold(m)),
            r.CreatedAt, r.UpdatedAt);
    }

    public static FaceView Face(FaceRecord f, IReadOnlyList<ReferenceInfo>? refs = null, string? referenceId = null)
    {
        List<ReferenceView>? references = null;
        if (refs is not null)
        {
            references = new(refs.Count);
            foreach (var r in refs)
                references.Add(new ReferenceView(r.Id, r.Source == ReferenceSource.Auto ? "auto" : "enroll", Round(r.QualityScore), r.CreatedAt));
        }
        return new FaceView(f.Id, f.ExternalId, f.CollectionId, Round(f.QualityScore), f.LivenessScore is { } l ? Round(l) : null,
            Metadata.Parse(f.MetadataJson), new BoundingBox(f.BoxX, f.BoxY, f.BoxWidth, f.BoxHeight), f.FacesDetected,
            f.ModelVersion, f.CreatedAt, f.UpdatedAt, references, referenceId);
    }

    public static QueryFace Query(DetectedFace f) =>
        new(f.Box, Round(f.Quality.Score), f.Liveness is { } l ? Round(l.Score) : null);

    public static DetectedFaceView Detected(DetectedFace f, bool isSubject)
    {
        var landmarks = new float[f.Landmarks5.Count][];
        for (int i = 0; i < landmarks.Length; i++) landmarks[i] = [MathF.Round(f.Landmarks5[i].X, 1), MathF.Round(f.Landmarks5[i].Y, 1)];
        var q = f.Quality;
        return new DetectedFaceView(f.Box, Round(f.Confidence), landmarks,
            new QualityView(Round(q.Score), q.Reasons, MathF.Round(q.Sharpness, 2), MathF.Round(q.Brightness, 1),
                new HeadPose(MathF.Round(q.Pose.Yaw, 1), MathF.Round(q.Pose.Pitch, 1), MathF.Round(q.Pose.Roll, 1)), q.EyesOpen, Round(q.Occlusion)),
            f.Liveness is { } l ? Round(l.Score) : null, f.Liveness?.Verdict.ToString().ToLowerInvariant(), isSubject);
    }

    public static float Round(float v) => MathF.Round(v, 4);
}
