namespace Visage.Engine;

/// <summary>Where the native library and models are, and the engine's thresholds. Bound from configuration
/// (section "Engine", environment VISAGE_ENGINE__*); defaults were measured on ../shared/testdata/faces
/// (figures in docs/notes/engine.md).</summary>
public sealed class EngineOptions
{
    /// <summary>Directory with libonnxruntime.so.1; default $VISAGE_CACHE or ~/.cache/visage + /onnxruntime-1.30.0.</summary>
    public string? OnnxRuntimePath { get; set; }
    /// <summary>Directory with fr_*.onnx; default $VISAGE_CACHE or ~/.cache/visage + /models-faceplugin-0.0.1.</summary>
    public string? ModelsDirectory { get; set; }
    public int MinImageSide { get; set; } = 100;
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>Longest side the engine decodes big JPEGs down to (DCT scaling keeps it at least this long);
    /// results are still reported in the original's pixels. 0 decodes at full size. The detector sees the whole
    /// image at 320×240, so a face it can find is still ≥ ~80 px at 1280.</summary>
    public int MaxAnalysisSide { get; set; } = 1280;
    /// <summary>Minimum detector score for a face.</summary>
    public float DetectorScoreThreshold { get; set; } = 0.65f;
    /// <summary>Below this detector confidence a face gets LOW_CONFIDENCE.</summary>
    public float LowConfidenceThreshold { get; set; } = 0.8f;
    /// <summary>Variance of the Laplacian on the aligned 112×112 grey crop below which a face gets BLUR.</summary>
    public float BlurThreshold { get; set; } = 22f;
    /// <summary>Mean face luma (0..255) below which a face gets LOW_BRIGHTNESS.</summary>
    public float BrightnessLow { get; set; } = 35f;
    /// <summary>Mean face luma above which a face gets OVEREXPOSED.</summary>
    public float BrightnessHigh { get; set; } = 215f;
    /// <summary>Fraction of clipped (≥ 250) face pixels above which a face gets OVEREXPOSED.</summary>
    public float ClippedFractionMax { get; set; } = 0.25f;
    /// <summary>|yaw| in degrees above which a face gets EXTREME_POSE.</summary>
    public float MaxYaw { get; set; } = 45f;
    /// <summary>|pitch| in degrees above which a face gets EXTREME_POSE.</summary>
    public float MaxPitch { get; set; } = 25f;
    /// <summary>|roll| in degrees above which a face gets EXTREME_POSE.</summary>
    public float MaxRoll { get; set; } = 45f;
    /// <summary>P(eyes open) below which a face gets EYES_CLOSED.</summary>
    public float EyesOpenThreshold { get; set; } = 0.15f;
    /// <summary>Shorter side of the face box in pixels below which a face gets FACE_TOO_SMALL.</summary>
    public float MinFaceSize { get; set; } = 40f;
    /// <summary>Occlusion measure (0..1) above which a face gets OCCLUDED.</summary>
    public float OcclusionThreshold { get; set; } = 0.85f;
    /// <summary>P(live) at or above which a face with enough context is Live.</summary>
    public float LivenessThreshold { get; set; } = 0.05f;
    /// <summary>Fraction of the liveness model's 2.7× context window that must lie inside the image for a
    /// confident verdict; below it the verdict is Uncertain.</summary>
    public float LivenessMinContext { get; set; } = 0.4f;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the setting when a threshold is out of its range.</summary>
    public void Validate()
    {
        static void Fraction(float v, string name)
        {
            if (!(v >= 0 && v <= 1)) throw new ArgumentOutOfRangeException("Engine:" + name, v, "must be within 0..1");
        }
        static void Positive(float v, string name)
        {
            if (!(v > 0)) throw new ArgumentOutOfRangeException("Engine:" + name, v, "must be greater than 0");
        }
        (float, string)[] fractions =
        [
            (DetectorScoreThreshold, nameof(DetectorScoreThreshold)), (LowConfidenceThreshold, nameof(LowConfidenceThreshold)),
            (ClippedFractionMax, nameof(ClippedFractionMax)), (EyesOpenThreshold, nameof(EyesOpenThreshold)),
            (OcclusionThreshold, nameof(OcclusionThreshold)), (LivenessThreshold, nameof(LivenessThreshold)),
            (LivenessMinContext, nameof(LivenessMinContext)),
        ];
        (float, string)[] positives =
        [
            (BlurThreshold, nameof(BlurThreshold)), (MinFaceSize, nameof(MinFaceSize)),
            (MaxYaw, nameof(MaxYaw)), (MaxPitch, nameof(MaxPitch)), (MaxRoll, nameof(MaxRoll)),
        ];
        foreach (var (value, name) in fractions) Fraction(value, name);
        foreach (var (value, name) in positives) Positive(value, name);
        if (!(BrightnessLow > 0 && BrightnessLow + 40 < BrightnessHigh && BrightnessHigh < 255))
            throw new ArgumentOutOfRangeException("Engine:" + nameof(BrightnessLow), BrightnessLow,
                "brightness limits must satisfy 0 < BrightnessLow, BrightnessLow + 40 < BrightnessHigh < 255");
        if (MaxAnalysisSide < 0) throw new ArgumentOutOfRangeException("Engine:" + nameof(MaxAnalysisSide), MaxAnalysisSide, "must be 0 (full size) or more");
    }

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("VISAGE_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "visage");

    public string ResolveOnnxRuntimeLibrary() =>
        Path.Combine(OnnxRuntimePath ?? Path.Combine(CacheRoot, "onnxruntime-1.30.0"), "libonnxruntime.so.1");

    public string ResolveModelsDirectory() => ModelsDirectory ?? Path.Combine(CacheRoot, "models-faceplugin-0.0.1");
}

/// <summary>Cosine-similarity thresholds for fr_feature embeddings, published by the service (GET /models).</summary>
public static class Thresholds
{
    /// <summary>Recommended 1:1 verification threshold.</summary>
    public const float Verify = 0.33f;
    /// <summary>Stricter 1:N identification threshold: about 1% false alarms with ~5-10k enrolled faces.</summary>
    public const float Identify = 0.5f;
    /// <summary>False-accept-rate operating points (LFW-measured and extrapolated; see docs/notes/engine.md).</summary>
    public const float Far1e3 = 0.33f, Far1e4 = 0.40f, Far1e5 = 0.46f;
}
