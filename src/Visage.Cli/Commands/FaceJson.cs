using System.Text.Json.Serialization;
using Visage.Engine;

namespace Visage.Cli.Commands;

// The JSON shapes `visage analyze` prints (snake_case by the serializer), kept apart from the engine's
// records so the output stays stable when the engine grows fields.

public sealed record AnalyzeOutput(string Image, ImageSize ImageSize, int SubjectIndex, IReadOnlyList<FaceOutput> Faces,
    TimingsOutput TimingsMs);

public sealed record ImageSize(int Width, int Height);

public sealed record FaceOutput(int Index, bool IsSubject, BoundingBox BoundingBox, float Confidence,
    IReadOnlyList<float[]> Landmarks, QualityOutput Quality, LivenessOutput? Liveness,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CropFile,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float[]? Embedding);

public sealed record QualityOutput(float Score, IReadOnlyList<string> Reasons, float Sharpness, float Brightness,
    HeadPose Pose, bool EyesOpen, float EyesOpenProbability, float FaceSize, float Occlusion);

public sealed record LivenessOutput(float Score, LivenessVerdict Verdict, string? Note);

public sealed record TimingsOutput(double Decode, double Detect, double Landmarks, double Align, double Embed,
    double Liveness, double Quality, double Total);

public static class FaceJson
{
    public static FaceOutput Face(FaceAnalysis analysis, int index, bool withEmbedding, string? cropFile)
    {
        var f = analysis.Faces[index];
        var q = f.Quality;
        var landmarks = new List<float[]>(f.Landmarks5.Count);
        foreach (var p in f.Landmarks5) landmarks.Add([p.X, p.Y]);
        return new FaceOutput(index, index == analysis.SubjectIndex, f.Box, f.Confidence, landmarks,
            new QualityOutput(q.Score, q.Reasons, q.Sharpness, q.Brightness, q.Pose, q.EyesOpen, q.EyesOpenProbability,
                q.FaceSize, q.Occlusion),
            f.Liveness is { } l ? new LivenessOutput(l.Score, l.Verdict, l.Note) : null,
            cropFile, withEmbedding ? f.Embedding : null);
    }

    public static TimingsOutput Timings(StageTimings t) =>
        new(Round(t.DecodeMs), Round(t.DetectMs), Round(t.LandmarksMs), Round(t.AlignMs), Round(t.EmbedMs),
            Round(t.LivenessMs), Round(t.QualityMs), Round(t.TotalMs));

    static double Round(double ms) => Math.Round(ms, 3);
}
