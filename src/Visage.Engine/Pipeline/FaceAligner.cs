namespace Visage.Engine.Pipeline;

/// <summary>Similarity-warps a face onto the ArcFace 112×112 template (the layout fr_feature was trained on).</summary>
public sealed class FaceAligner : IFaceAligner
{
    public const int Size = 112;
    public const int CropBytes = Size * Size * 3;

    static readonly PointF[] Template =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f),
        new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    /// <summary>The map from crop pixels back to the source image for these five points.</summary>
    public static Affine CropToImage(ReadOnlySpan<PointF> fivePoints) =>
        Affine.SimilarityLeastSquares(fivePoints, Template).Invert();

    public void Align(RgbImage image, ReadOnlySpan<PointF> fivePoints, Span<byte> crop112Rgb) =>
        ImageSampler.ToRgbBytes(image, CropToImage(fivePoints), Size, Size, crop112Rgb);
}
