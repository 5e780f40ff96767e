using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_feature (ArcFace-style, 512-d). BGR input measured better than RGB (99.4% vs 99.1% on LFW).</summary>
public sealed class FaceEmbedder : IFaceEmbedder
{
    static readonly long[] Shape = [1, 3, FaceAligner.Size, FaceAligner.Size];
    static readonly Affine Identity = Affine.FromRect(0, 0, FaceAligner.Size, FaceAligner.Size, FaceAligner.Size, FaceAligner.Size);
    readonly OnnxModel model;

    public FaceEmbedder(OnnxModel model)
    {
        this.model = model;
        EmbeddingSize = model.TotalOutputSize;
    }

    public int EmbeddingSize { get; }

    public void Embed(ReadOnlySpan<byte> crop112Rgb, Span<float> embedding)
    {
        if (crop112Rgb.Length != FaceAligner.CropBytes)
            throw new ArgumentException($"an aligned crop is {FaceAligner.CropBytes} bytes (112x112 RGB)", nameof(crop112Rgb));
        var crop = new RgbImage(FaceAligner.Size, FaceAligner.Size, crop112Rgb.ToArray());
        using var input = new PooledFloats(3 * FaceAligner.CropBytes / 3);
        ImageSampler.ToPlanar(crop, Identity, FaceAligner.Size, FaceAligner.Size, ChannelOrder.Bgr, Normalization.Centered127, input.Span);
        model.Run(input.Span, Shape, embedding);
        TensorMath.L2Normalize(embedding[..EmbeddingSize]);
    }
}
