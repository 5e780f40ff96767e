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
        var region = box.Context(ContextScale, image.Width, image.Height);
        var context = region.VisibleFraction;

        using var input = new PooledFloats(3 * Size * Size);
        Span<float> output = stackalloc float[model.TotalOutputSize];
        ImageSampler.ToPlanar(image, region.ToSize(Size, Size), Size, Size,
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
