using System.Text.Json;
using System.Text.Json.Serialization;
using Visage.Engine;
using Visage.Storage;

namespace Visage.Service;

// What the use cases answer. Property names become snake_case on the wire (the server's JSON policy).

public sealed record EffectiveThresholds(float Identify, float Verify, float AutoEnroll, float Liveness);

public sealed record CollectionView(string CollectionId, string Name, string? Description, long FaceCount,
    string ModelVersion, CollectionSettings Settings, EffectiveThresholds EffectiveThresholds,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record ReferenceView(string ReferenceId, string Source, float QualityScore, DateTimeOffset CreatedAt);

public sealed record FaceView(string FaceId, string ExternalId, string CollectionId, float QualityScore, float? LivenessScore,
    JsonElement Metadata, BoundingBox BoundingBox, int FacesDetected, string ModelVersion,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ReferenceView>? References = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReferenceId = null);

public sealed record PageView<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total, int TotalPages);

public sealed record DeletedView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FaceId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CollectionId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReferenceId = null,
    bool Deleted = true);

public sealed record QueryFace(BoundingBox BoundingBox, float QualityScore, float? LivenessScore);

public sealed record MatchView(string FaceId, string ExternalId, float Similarity, JsonElement Metadata);

public sealed record AutoEnrolledView(string FaceId, string ReferenceId);

public sealed record IdentifyView(QueryFace QueryFace, IReadOnlyList<MatchView> Matches, AutoEnrolledView? AutoEnrolled, int FacesDetected);

public sealed record VerifyView(bool Match, float Similarity, float Threshold, string? FaceId, string ExternalId, QueryFace QueryFace);

public sealed record CompareView(bool Match, float Similarity, float Threshold, QueryFace FaceA, QueryFace FaceB);

public sealed record QualityView(float Score, IReadOnlyList<string> Reasons, float Sharpness, float Brightness, HeadPose Pose,
    bool EyesOpen, float Occlusion);

public sealed record DetectedFaceView(BoundingBox BoundingBox, float Confidence, float[][] Landmarks, QualityView Quality,
    float? LivenessScore, string? LivenessVerdict, bool IsSubject);

public sealed record DetectView(int ImageWidth, int ImageHeight, IReadOnlyList<DetectedFaceView> Faces);

public sealed record BatchItemResult(int Index, bool Success,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FaceView? Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ErrorView? Error);

public sealed record BatchView(IReadOnlyList<BatchItemResult> Results, int Succeeded, int Failed);

public sealed record ErrorView(string Code, string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object?>? Details)
{
    public static ErrorView From(VisageApiException e) => new(e.Code, e.Message, e.Details);
}

public sealed record KeyView(string KeyId, string WorkspaceId, string Name, string Prefix, IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key = null)
{
    public static KeyView From(ApiKeyRecord r, string? key = null) =>
        new(r.Id, r.WorkspaceId, r.Name, r.Prefix, r.Scopes, r.CreatedAt, r.RevokedAt, r.LastUsedAt, key);
}

public sealed record WorkspaceView(string WorkspaceId, string Name, DateTimeOffset CreatedAt, KeyView AdminKey);

public sealed record FarThreshold(double Far, float Threshold);

public sealed record ModelView(string ModelVersion, int EmbeddingSize, string Similarity,
    float DefaultIdentifyThreshold, float DefaultVerifyThreshold, IReadOnlyList<FarThreshold> Thresholds,
    float DefaultLivenessThreshold, string CalibrationSource);

/// <summary>An uploaded image, already size-checked by the transport.</summary>
public readonly record struct ImageInput(ReadOnlyMemory<byte> Bytes);
