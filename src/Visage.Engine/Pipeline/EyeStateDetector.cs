using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_eye: open/closed from a 24×24 grey crop (v/255) of each eye, a square of 1.6× the eye's
/// corner-to-corner width around the eyelid points (the package's own recipe). Softmax index 0 = closed.</summary>
public sealed class EyeStateDetector(OnnxModel model) : IEyeStateDetector
{
    const int Size = 24;
    const float Padding = 1.6f;
    static readonly long[] Shape = [1, 1, Size, Size];

    public EyeState Detect(RgbImage image, ReadOnlySpan<PointF> p) =>
        new(OpenProbability(image, p[37], p[38], p[40], p[41], p[36], p[39]),
            OpenProbability(image, p[43], p[44], p[46], p[47], p[42], p[45]));

    float OpenProbability(RgbImage image, PointF a, PointF b, PointF c, PointF d, PointF outer, PointF inner)
    {
        float cx = (a.X + b.X + c.X + d.X) / 4, cy = (a.Y + b.Y + c.Y + d.Y) / 4;
        var side = MathF.Max(2, MathF.Sqrt((inner.X - outer.X) * (inner.X - outer.X) + (inner.Y - outer.Y) * (inner.Y - outer.Y)) * Padding);
        Span<float> input = stackalloc float[Size * Size];
        Span<float> output = stackalloc float[model.TotalOutputSize];
        ImageSampler.ToGrey(image, Affine.FromRect(cx - side / 2, cy - side / 2, side, side, Size, Size), Size, Size, 1f / 255, 0, input);
        model.Run(input, Shape, output);
        TensorMath.Softmax(output);
        return output[1];
    }
}
