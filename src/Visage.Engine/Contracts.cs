namespace Visage.Engine;

// The engine's public surface: bytes in, faces out. Everything after the engine (service, store,
// HTTP) sees only these types. Implementations live in Imaging/, Onnx/ and Pipeline/.

/// <summary>A decoded image: tightly packed 8-bit RGB, row-major, EXIF orientation already applied.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException("pixel buffer does not match width*height*3", nameof(pixels));
        Width = width; Height = height; Pixels = pixels;
    }
    public int Width { get; }
    public int Height { get; }
    /// <summary>RGB triplets, Width*Height*3 bytes.</summary>
    public byte[] Pixels { get; }
}

public enum ImageErrorKind
{
    Empty,             // zero bytes
    Truncated,         // a known format whose data ends early
    Corrupt,           // a known format that fails to decode
    Unsupported,       // not a format we decode
    TooSmall,          // under the minimum side (default 100 px)
    TooLargeDimensions // over the pixel budget (default 50 MP), found from the header before decoding
}

/// <summary>The one exception the engine throws for input the caller sent (never for our own faults).</summary>
public sealed class ImageException(ImageErrorKind kind, string message) : Exception(message)
{
    public ImageErrorKind Kind { get; } = kind;
}

public enum ImageFormat { Jpeg, Png, Webp }

/// <summary>What the header says, read without decoding pixels. Width and Height are as stored in the file; EXIF
/// orientations 5..8 swap them in the decoded image.</summary>
public readonly record struct ImageHeader(ImageFormat Format, int Width, int Height, int ExifOrientation);

public interface IImageDecoder
{
    /// <summary>Reads format and dimensions only. Throws <see cref="ImageException"/>.</summary>
    ImageHeader ReadHeader(ReadOnlySpan<byte> data);
    /// <summary>Decodes to RGB with EXIF orientation applied, after checking the header's pixel count. Throws <see cref="ImageException"/>.</summary>
    RgbImage Decode(ReadOnlySpan<byte> data);
    /// <summary>Like <see cref="Decode(ReadOnlySpan{byte})"/>, but may return a smaller image whose longer side is still
    /// at least <paramref name="maxSide"/> when the format can downscale cheaply while decoding (JPEG).</summary>
    RgbImage Decode(ReadOnlySpan<byte> data, int maxSide) => Decode(data);
}

public readonly record struct PointF(float X, float Y);

public readonly record struct BoundingBox(int X, int Y, int Width, int Height);

public readonly record struct HeadPose(float Yaw, float Pitch, float Roll);

public static class QualityReasons
{
    public const string Blur = "BLUR", LowBrightness = "LOW_BRIGHTNESS", Overexposed = "OVEREXPOSED",
        ExtremePose = "EXTREME_POSE", EyesClosed = "EYES_CLOSED", Occluded = "OCCLUDED",
        FaceTooSmall = "FACE_TOO_SMALL", LowConfidence = "LOW_CONFIDENCE";
}

public sealed record QualityReport(
    float Score,                       // 0..1, higher is better
    IReadOnlyList<string> Reasons,     // QualityReasons.*, empty when the face passes
    float Sharpness,                   // variance of the Laplacian on the aligned crop
    float Brightness,                  // mean luma of the face, 0..255
    HeadPose Pose,                     // degrees
    bool EyesOpen,
    float EyesOpenProbability,
    float FaceSize,                    // shorter side of the box in pixels
    float DetectorConfidence,
    float Occlusion);                  // 0..1, higher means more of the lower face hidden

public enum LivenessVerdict { Live, Spoof, Uncertain }

/// <summary>Passive liveness. Score is P(live) in 0..1; Uncertain when the input is a tight crop or
/// otherwise lacks the context the model needs (Note says why).</summary>
public sealed record LivenessResult(float Score, LivenessVerdict Verdict, string? Note);

public sealed record DetectedFace(
    BoundingBox Box,
    float Confidence,
    IReadOnlyList<PointF> Landmarks68,
    IReadOnlyList<PointF> Landmarks5,     // left eye, right eye, nose, left mouth, right mouth
    QualityReport Quality,
    LivenessResult? Liveness,             // null when liveness was not requested
    float[] Embedding,                    // L2-normalised, EmbeddingSize floats
    byte[]? AlignedCrop);                 // 112x112 RGB, 37,632 bytes, when requested

public sealed record StageTimings(double DecodeMs, double DetectMs, double LandmarksMs, double AlignMs,
    double EmbedMs, double LivenessMs, double QualityMs, double TotalMs);

public sealed record FaceAnalysis(
    int ImageWidth,
    int ImageHeight,
    IReadOnlyList<DetectedFace> Faces,    // every face, in detection-score order
    int SubjectIndex,                     // index into Faces of "the" face of the photo, -1 when none
    StageTimings Timings)
{
    public DetectedFace? Subject => SubjectIndex >= 0 ? Faces[SubjectIndex] : null;

    /// <summary>How many faces the photo holds; with <see cref="AnalyzeOptions.SubjectOnly"/> Faces holds only the subject.</summary>
    public int FacesDetected => DetectedCount ?? Faces.Count;

    public int? DetectedCount { get; init; }
}

/// <param name="SubjectOnly">Embed, check liveness and quality of the subject face only (enroll, identify, verify,
/// compare need no more); the other faces are still detected and counted. Saves the per-face model work on crowded photos.</param>
public sealed record AnalyzeOptions(bool Liveness = true, bool Quality = true, bool AlignedCrop = false,
    int MaxFaces = 32, bool SubjectOnly = false)
{
    public static readonly AnalyzeOptions Default = new();
}

public sealed record EngineInfo(string ModelVersion, int EmbeddingSize);

/// <summary>The face engine. Thread-safe: models load once; call Analyze from any number of threads.</summary>
public interface IFaceEngine : IDisposable
{
    EngineInfo Info { get; }
    /// <summary>Decodes and analyses an image. Throws <see cref="ImageException"/> for bad input.</summary>
    FaceAnalysis Analyze(ReadOnlySpan<byte> imageBytes, AnalyzeOptions options);
    /// <summary>Analyses an already decoded image.</summary>
    FaceAnalysis Analyze(RgbImage image, AnalyzeOptions options);
    /// <summary>Embeds a stored 112x112 aligned RGB crop (re-embedding for a new model version).</summary>
    float[] EmbedAlignedCrop(ReadOnlySpan<byte> crop112Rgb);
}

/// <summary>Thrown when the native library or a model file is missing: tells the user how to fix it.</summary>
public sealed class EngineSetupException(string message) : Exception(message);
