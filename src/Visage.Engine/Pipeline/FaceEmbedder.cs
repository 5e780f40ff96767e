using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_feature (ArcFace-style, 512-d). BGR input measured better than RGB (99.4% vs 99.1% on LFW).</summary>
public sealed class FaceEmbedder : IFaceEmbedder
{
    static readonly long[] Shape = [1, 3, FaceAligner.Size, FaceAligner.Size];
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
        const int plane = FaceAligner.Size * FaceAligner.Size;
        using var input = new PooledFloats(3 * plane);
        var tensor = input.Span;
        // fr_feature was trained on OpenCV (BGR) planes; BGR measured 0.3 points better than RGB on LFW.
        for (var i = 0; i < plane; i++)
        {
            tensor[i] = (crop112Rgb[3 * i + 2] - 127f) / 128f;
            tensor[plane + i] = (crop112Rgb[3 * i + 1] - 127f) / 128f;
            tensor[2 * plane + i] = (crop112Rgb[3 * i] - 127f) / 128f;
        }
        model.Run(tensor, Shape, embedding);
        TensorMath.L2Normalize(embedding[..EmbeddingSize]);
    }
}
