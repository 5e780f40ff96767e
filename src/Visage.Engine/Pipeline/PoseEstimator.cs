using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_pose (Hopenet-style): 66 bins of 3° per angle on the box grown by a quarter each side,
/// RGB v/255 with ImageNet mean/std; the angle is the softmax expectation × 3 − 99.</summary>
public sealed class PoseEstimator : IPoseEstimator
{
    const int Size = 224;
    const float ContextScale = 1.5f; // the box grown by a quarter on each side
    static readonly long[] Shape = [1, 3, Size, Size];
    static readonly Normalization ImageNet = new(
        1f / (255 * 0.229f), 1f / (255 * 0.224f), 1f / (255 * 0.225f), -0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f);

    readonly OnnxModel model;
    readonly Range yaw, pitch, roll;

    public PoseEstimator(OnnxModel model)
    {
        this.model = model;
        // The exported graph names its outputs `output` (yaw), `617` (pitch), `618` (roll).
        yaw = model.OutputRange("output"); pitch = model.OutputRange("617"); roll = model.OutputRange("618");
    }

    public HeadPose Estimate(RgbImage image, in FaceBox box)
    {
        var region = box.Context(ContextScale, image.Width, image.Height);
        using var input = new PooledFloats(3 * Size * Size);
        Span<float> output = stackalloc float[model.TotalOutputSize];
        ImageSampler.ToPlanar(image, region.ToSize(Size, Size), Size, Size, ChannelOrder.Rgb, ImageNet, input.Span);
        model.Run(input.Span, Shape, output);
        return new HeadPose(Angle(output[yaw]), Angle(output[pitch]), Angle(output[roll]));
    }

    static float Angle(Span<float> logits)
    {
        TensorMath.Softmax(logits);
        float expectation = 0;
        for (var i = 0; i < logits.Length; i++) expectation += logits[i] * i;
        return expectation * 3 - 99;
    }
}
