namespace Visage.Engine.Pipeline;

// One small interface per capability, so a stage can be measured, replaced or tested on its own.

/// <summary>A detected face in source-image pixels (may extend past the image border), square on its height.</summary>
public readonly record struct FaceBox(float X, float Y, float Width, float Height, float Score)
{
    public float CenterX => X + Width / 2;
    public float CenterY => Y + Height / 2;
    public float Area => Width * Height;

    /// <summary>The box grown <paramref name="factor"/>× about its centre and clipped to the image: the
    /// surroundings a model looks at. <see cref="ContextRegion.VisibleFraction"/> tells how much survived clipping.</summary>
    public ContextRegion Context(float factor, int imageWidth, int imageHeight)
    {
        float w = Width * factor, h = Height * factor;
        float x0 = MathF.Max(0, CenterX - w / 2), y0 = MathF.Max(0, CenterY - h / 2);
        float x1 = MathF.Min(imageWidth, CenterX + w / 2), y1 = MathF.Min(imageHeight, CenterY + h / 2);
        return new ContextRegion(x0, y0, MathF.Max(1, x1 - x0), MathF.Max(1, y1 - y0),
            MathF.Max(0, x1 - x0) * MathF.Max(0, y1 - y0) / (w * h));
    }

    public FaceBox Scaled(float s) => s == 1 ? this : new(X * s, Y * s, Width * s, Height * s, Score);

    public BoundingBox ToBoundingBox(int imageWidth, int imageHeight)
    {
        int x0 = Math.Clamp((int)MathF.Round(X), 0, imageWidth), y0 = Math.Clamp((int)MathF.Round(Y), 0, imageHeight);
        int x1 = Math.Clamp((int)MathF.Round(X + Width), 0, imageWidth), y1 = Math.Clamp((int)MathF.Round(Y + Height), 0, imageHeight);
        return new BoundingBox(x0, y0, x1 - x0, y1 - y0);
    }

    public static float IoU(in FaceBox a, in FaceBox b)
    {
        float ix = MathF.Max(0, MathF.Min(a.X + a.Width, b.X + b.Width) - MathF.Max(a.X, b.X));
        float iy = MathF.Max(0, MathF.Min(a.Y + a.Height, b.Y + b.Height) - MathF.Max(a.Y, b.Y));
        var inter = ix * iy;
        return inter <= 0 ? 0 : inter / (a.Area + b.Area - inter);
    }
}

/// <summary>A rectangle of the image (inside it) and the fraction of the requested context it covers.</summary>
public readonly record struct ContextRegion(float X, float Y, float Width, float Height, float VisibleFraction)
{
    /// <summary>The map that resamples this region to an output of the given size.</summary>
    public Affine ToSize(int width, int height) => Affine.FromRect(X, Y, Width, Height, width, height);
}

public readonly record struct EyeState(float LeftOpenProbability, float RightOpenProbability)
{
    /// <summary>A face counts as eyes-open by its more open eye: one eye hidden by hair or a wink is no reason to refuse.</summary>
    public float OpenProbability => MathF.Max(LeftOpenProbability, RightOpenProbability);
}

public interface IFaceDetector
{
    /// <summary>Faces scoring at least <paramref name="minScore"/>, best first, at most <paramref name="maxFaces"/>.</summary>
    IReadOnlyList<FaceBox> Detect(RgbImage image, float minScore, int maxFaces);
}

public interface ILandmarkDetector
{
    /// <summary>Writes the 68 iBUG landmarks of the face in <paramref name="box"/>, in image pixels.</summary>
    void Detect(RgbImage image, in FaceBox box, Span<PointF> landmarks68);
}

public interface IFaceAligner
{
    /// <summary>Warps the face onto the 112×112 ArcFace template from its five points; writes RGB bytes.</summary>
    void Align(RgbImage image, ReadOnlySpan<PointF> fivePoints, Span<byte> crop112Rgb);
}

public interface IFaceEmbedder
{
    int EmbeddingSize { get; }
    /// <summary>Embeds an aligned 112×112 RGB crop; writes an L2-normalised vector.</summary>
    void Embed(ReadOnlySpan<byte> crop112Rgb, Span<float> embedding);
}

public interface ILivenessDetector
{
    LivenessResult Assess(RgbImage image, in FaceBox box);
}

public interface IEyeStateDetector
{
    EyeState Detect(RgbImage image, ReadOnlySpan<PointF> landmarks68);
}

public interface IPoseEstimator
{
    HeadPose Estimate(RgbImage image, in FaceBox box);
}
