using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_landmark: 68 iBUG points from a 64×64 grey crop of the square face box (values v/256),
/// output in 0..1 of the crop.</summary>
public sealed class LandmarkDetector(OnnxModel model) : ILandmarkDetector
{
    const int Size = 64;
    static readonly long[] Shape = [1, 1, Size, Size];

    public void Detect(RgbImage image, in FaceBox box, Span<PointF> landmarks68)
    {
        if (landmarks68.Length < 68) throw new ArgumentException("need room for 68 points", nameof(landmarks68));
        Span<float> input = stackalloc float[Size * Size];
        Span<float> output = stackalloc float[model.TotalOutputSize];
        ImageSampler.ToGrey(image, Affine.FromRect(box.X, box.Y, box.Width, box.Height, Size, Size), Size, Size, 1f / 256, 0, input);
        model.Run(input, Shape, output);
        for (var i = 0; i < 68; i++)
            landmarks68[i] = new PointF(box.X + output[2 * i] * box.Width, box.Y + output[2 * i + 1] * box.Height);
    }

    /// <summary>The five alignment points from the 68: eye centres, nose tip, mouth corners (outer and inner lip averaged).</summary>
    public static void FivePoints(ReadOnlySpan<PointF> p, Span<PointF> five)
    {
        five[0] = Mean(p[37], p[38], p[40], p[41]);
        five[1] = Mean(p[43], p[44], p[46], p[47]);
        five[2] = p[30];
        five[3] = new PointF((p[48].X + p[60].X) / 2, (p[48].Y + p[60].Y) / 2);
        five[4] = new PointF((p[54].X + p[64].X) / 2, (p[54].Y + p[64].Y) / 2);
    }

    static PointF Mean(PointF a, PointF b, PointF c, PointF d) =>
        new((a.X + b.X + c.X + d.X) / 4, (a.Y + b.Y + c.Y + d.Y) / 4);
}
