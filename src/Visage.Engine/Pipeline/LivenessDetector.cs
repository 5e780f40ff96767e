using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_liveness (passive, single frame). It judges the face together with its surroundings (screen
/// edges, moiré, hands), so it looks at the box grown 2.7× about its centre; when most of that window lies
/// outside the photo (a tight face crop) the model is at chance and the answer is Uncertain.</summary>
public sealed class LivenessDetector(OnnxModel model, float liveThreshold, float minContext) : ILivenessDetector
{
    const int Size = 128;
    const float ContextScale = 2.7f;
    static readonly long[] Shape = [1, 3, Size, Size];

    public LivenessResult Assess(RgbImage image, in FaceBox box)
    {
        float w = box.Width * ContextScale, h = box.Height * ContextScale;
        float x0 = MathF.Max(0, box.CenterX - w / 2), y0 = MathF.Max(0, box.CenterY - h / 2);
        float x1 = MathF.Min(image.Width, box.CenterX + w / 2), y1 = MathF.Min(image.Height, box.CenterY + h / 2);
        var context = MathF.Max(0, x1 - x0) * MathF.Max(0, y1 - y0) / (w * h);

        using var input = new PooledFloats(3 * Size * Size);
        Span<float> output = stackalloc float[model.TotalOutputSize];
        ImageSampler.ToPlanar(image, Affine.FromRect(x0, y0, x1 - x0, y1 - y0, Size, Size), Size, Size,
            ChannelOrder.Bgr, Normalization.Raw, input.Span);
        model.Run(input.Span, Shape, output);
        TensorMath.Softmax(output);
        var live = output[0];

        if (context < minContext)
            return new LivenessResult(live, LivenessVerdict.Uncertain,
                $"the face fills the image: only {context:P0} of the context the liveness model needs is visible; send the whole camera frame");
        return new LivenessResult(live, live >= liveThreshold ? LivenessVerdict.Live : LivenessVerdict.Spoof, null);
    }
}
