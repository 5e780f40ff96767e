using Visage.Engine;
using Visage.Service.Observability;

namespace Visage.Service;

/// <summary>The checks every use case applies to an uploaded photo: analyse on the bounded pool, pick the
/// subject face (the engine's choice: largest, weighed by how central it is), gate on quality and liveness.</summary>
public sealed class FacePipeline(InferencePool pool, ModelThresholds thresholds, MetricsRegistry metrics)
{
    public ModelThresholds Thresholds => thresholds;
    public EngineInfo Info => pool.Info;

    public async Task<FaceAnalysis> AnalyzeAsync(ImageInput image, AnalyzeOptions options, CancellationToken ct)
    {
        var analysis = await pool.AnalyzeAsync(image.Bytes, options, ct);
        var t = analysis.Timings;
        metrics.ObserveStage("decode", t.DecodeMs);
        metrics.ObserveStage("detect", t.DetectMs);
        metrics.ObserveStage("landmarks", t.LandmarksMs);
        metrics.ObserveStage("align", t.AlignMs);
        metrics.ObserveStage("embed", t.EmbedMs);
        if (options.Liveness) metrics.ObserveStage("liveness", t.LivenessMs);
        if (options.Quality) metrics.ObserveStage("quality", t.QualityMs);
        metrics.ObserveStage("total", t.TotalMs);
        return analysis;
    }

    public static DetectedFace Subject(FaceAnalysis analysis, string? field = null) =>
        analysis.Subject ?? throw new NoFaceDetectedException(field);

    /// <summary>True when the face passes the quality gate (the engine's reasons, and the collection's
    /// minimum score when one is set).</summary>
    public static bool PassesQuality(DetectedFace face, CollectionSettings settings) =>
        face.Quality.Reasons.Count == 0 && (settings.QualityThreshold is not { } min || face.Quality.Score >= min);

    public static void RequireQuality(DetectedFace face, CollectionSettings settings)
    {
        if (!PassesQuality(face, settings)) throw new FaceQualityTooLowException(face.Quality.Score, face.Quality.Reasons);
    }

    /// <summary>A face whose liveness the model cannot judge (a tight crop: Uncertain) is not refused;
    /// its score is still reported. Refused: a judged face scoring under the threshold.</summary>
    public bool PassesLiveness(DetectedFace face, CollectionSettings settings) =>
        face.Liveness is not { } l || l.Verdict == LivenessVerdict.Uncertain || l.Score >= settings.EffectiveLivenessThreshold(thresholds);

    public void RequireLiveness(DetectedFace face, CollectionSettings settings)
    {
        if (!PassesLiveness(face, settings))
            throw new LivenessCheckFailedException(face.Liveness!.Score, settings.EffectiveLivenessThreshold(thresholds));
    }

    public static float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
