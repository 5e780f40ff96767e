using Visage.Engine.Onnx;

namespace Visage.Engine.Pipeline;

/// <summary>fr_detect (an Ultra-Light-Fast 320×240 detector). Its `boxes` output already holds decoded
/// corners in 0..1 of the input, so no prior boxes are needed.</summary>
public sealed class FaceDetector : IFaceDetector
{
    const int InputWidth = 320, InputHeight = 240;
    const float NmsIoU = 0.4f;
    // Faces that fill the frame are missed unless the image has a margin around them.
    const float PadFraction = 0.2f;
    static readonly long[] Shape = [1, 3, InputHeight, InputWidth];

    readonly OnnxModel model;
    readonly Range scoresRange, boxesRange;
    readonly int anchors;

    public FaceDetector(OnnxModel model)
    {
        this.model = model;
        scoresRange = model.OutputRange("scores");
        boxesRange = model.OutputRange("boxes");
        anchors = (scoresRange.End.Value - scoresRange.Start.Value) / 2;
        if (boxesRange.End.Value - boxesRange.Start.Value != anchors * 4)
            throw new OnnxRuntimeException("fr_detect: scores and boxes disagree");
    }

    public IReadOnlyList<FaceBox> Detect(RgbImage image, float minScore, int maxFaces)
    {
        float padX = image.Width * PadFraction, padY = image.Height * PadFraction;
        float fullW = image.Width + 2 * padX, fullH = image.Height + 2 * padY;
        var map = Affine.FromRect(-padX, -padY, fullW, fullH, InputWidth, InputHeight);

        using var input = new PooledFloats(3 * InputWidth * InputHeight);
        using var output = new PooledFloats(model.TotalOutputSize);
        ImageSampler.ToPlanar(image, map, InputWidth, InputHeight, ChannelOrder.Rgb, Normalization.Centered127, input.Span);
        model.Run(input.Span, Shape, output.Span);

        ReadOnlySpan<float> scores = output.Span[scoresRange];
        ReadOnlySpan<float> boxes = output.Span[boxesRange];
        var candidates = new List<FaceBox>();
        for (var i = 0; i < anchors; i++)
        {
            var score = scores[2 * i + 1];
            if (score < minScore) continue;
            float x0 = boxes[4 * i] * fullW - padX, y0 = boxes[4 * i + 1] * fullH - padY;
            float x1 = boxes[4 * i + 2] * fullW - padX, y1 = boxes[4 * i + 3] * fullH - padY;
            if (x1 <= x0 || y1 <= y0) continue;
            candidates.Add(new FaceBox(x0, y0, x1 - x0, y1 - y0, score));
        }
        candidates.Sort(static (a, b) => b.Score.CompareTo(a.Score));

        var kept = new List<FaceBox>();
        foreach (var c in candidates)
        {
            var suppressed = false;
            foreach (var k in kept)
                if (FaceBox.IoU(c, k) > NmsIoU) { suppressed = true; break; }
            if (suppressed) continue;
            kept.Add(c);
            if (kept.Count == maxFaces) break;
        }
        // The later models were trained on square crops sized by the face's height.
        for (var i = 0; i < kept.Count; i++)
        {
            var b = kept[i];
            kept[i] = b with { X = b.CenterX - b.Height / 2, Width = b.Height };
        }
        return kept;
    }
}
