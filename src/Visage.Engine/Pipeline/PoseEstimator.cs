using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_pose (Hopenet-style): 66 bins of 3° per angle on the box grown by a quarter each side,
/// RGB v/255 with ImageNet mean/std; the angle is the softmax expectation × 3 − 99.</summary>
public sealed class PoseEstimator : IPoseEstimator
{
    const int Size = 224, Bins = 66;
    static readonly long[] Shape = [1, 3, Size, Size];
    static readonly Normalization ImageNet = new(
        1f / (255 * 0.229f), 1f / (255 * 0.224f), 1f / (255 * 0.225f), -0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f);

    readonly OnnxModel model;
    readonly int yawOffset, pitchOffset, rollOffset;

    public PoseEstimator(OnnxModel model)
    {
        this.model = model;
        // The exported graph names its outputs `output` (yaw), `617` (pitch), `618` (roll).
        yawOffset = Offset("output"); pitchOffset = Offset("617"); rollOffset = Offset("618");
    }

    int Offset(string name)
    {
        var offset = 0;
        for (var i = 0; i < model.OutputNames.Count; i++)
        {
            if (model.OutputNames[i] == name) return offset;
            offset += model.OutputSizes[i];
        }
        throw new OnnxRuntimeException($"fr_pose has no output '{name}'");
    }

    public HeadPose Estimate(RgbImage image, in FaceBox box)
    {
        float x0 = MathF.Max(0, box.X - box.Width / 4), y0 = MathF.Max(0, box.Y - box.Height / 4);
        float x1 = MathF.Min(image.Width, box.X + box.Width * 1.25f), y1 = MathF.Min(image.Height, box.Y + box.Height * 1.25f);
        using var input = new PooledFloats(3 * Size * Size);
        Span<float> output = stackalloc float[model.TotalOutputSize];
        ImageSampler.ToPlanar(image, Affine.FromRect(x0, y0, x1 - x0, y1 - y0, Size, Size), Size, Size, ChannelOrder.Rgb, ImageNet, input.Span);
        model.Run(input.Span, Shape, output);
        return new HeadPose(Angle(output.Slice(yawOffset, Bins)), Angle(output.Slice(pitchOffset, Bins)), Angle(output.Slice(rollOffset, Bins)));
    }

    static float Angle(Span<float> logits)
    {
        TensorMath.Softmax(logits);
        float expectation = 0;
        for (var i = 0; i < logits.Length; i++) expectation += logits[i] * i;
        return expectation * 3 - 99;
    }
}
