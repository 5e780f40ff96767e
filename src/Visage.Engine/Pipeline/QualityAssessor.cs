namespace Visage.Engine.Pipeline;

/// <summary>Image measures of an aligned 112×112 face crop, computed without a model.</summary>
public readonly record struct CropMeasures(float Sharpness, float Brightness, float ClippedFraction, float Occlusion);

/// <summary>Turns measures into a <see cref="QualityReport"/>: each measure becomes a margin in 0..1 that is
/// exactly 0.5 at its threshold, and the score is the smallest margin. So a face has reasons if and only
/// if its score is below 0.5, and a quality_threshold of 0.5 means "no reasons".</summary>
public sealed class QualityAssessor(EngineOptions o)
{
    // Regions of the ArcFace 112×112 template (eyes at y≈52, nose tip y≈72, mouth y≈92).
    const int FaceX0 = 24, FaceX1 = 88, FaceY0 = 30, FaceY1 = 104;

    public static CropMeasures Measure(ReadOnlySpan<byte> crop)
    {
        const int n = FaceAligner.Size;
        Span<float> grey = stackalloc float[n * n];
        for (var i = 0; i < n * n; i++) grey[i] = ImageSampler.Luma(crop[3 * i], crop[3 * i + 1], crop[3 * i + 2]);

        // Variance of the 4-neighbour Laplacian over the face region: blur removes the high frequencies it measures.
        double sum = 0, sumSq = 0;
        int count = 0;
        for (var y = FaceY0; y < FaceY1; y++)
        for (var x = FaceX0; x < FaceX1; x++)
        {
            var i = y * n + x;
            double lap = grey[i - 1] + grey[i + 1] + grey[i - n] + grey[i + n] - 4 * grey[i];
            sum += lap; sumSq += lap * lap; count++;
        }
        var mean = sum / count;
        var sharpness = (float)(sumSq / count - mean * mean);

        double luma = 0;
        int clipped = 0;
        for (var y = FaceY0; y < FaceY1; y++)
        for (var x = FaceX0; x < FaceX1; x++)
        {
            var v = grey[y * n + x];
            luma += v;
            if (v >= 250) clipped++;
        }
        return new CropMeasures(sharpness, (float)(luma / count), (float)clipped / count, Occlusion(crop));
    }

    /// <summary>How much of the mouth-and-chin region has lost the skin colour that the forehead and the
    /// cheeks under the eyes still show: 1 − skin(mouth) / max(skin(forehead), skin(under eyes)). Masks and
    /// hands are not skin-coloured; the face's own upper half is the reference, so tone and lighting largely
    /// cancel out. On the dev set masked faces measured ≥ 0.97 and unmasked ones ≤ 0.68. A grey-scale photo
    /// (no chroma anywhere) has no reference and measures 0: occlusion is then unknown, not reported.</summary>
    public static float Occlusion(ReadOnlySpan<byte> crop)
    {
        var mouth = SkinFraction(crop, 36, 76, 82, 104);
        var reference = MathF.Max(SkinFraction(crop, 36, 76, 14, 32), SkinFraction(crop, 28, 84, 58, 68));
        if (reference < 0.3f) return 0;
        return Math.Clamp(1 - mouth / reference, 0, 1);
    }

    /// <summary>Fraction of pixels whose chroma lies in the classic YCbCr skin box (Cb 77..127, Cr 133..173).</summary>
    static float SkinFraction(ReadOnlySpan<byte> crop, int x0, int x1, int y0, int y1)
    {
        var skin = 0;
        for (var y = y0; y < y1; y++)
        for (var x = x0; x < x1; x++)
        {
            var i = 3 * (y * FaceAligner.Size + x);
            float r = crop[i], g = crop[i + 1], b = crop[i + 2];
            float cb = 128 - 0.168736f * r - 0.331264f * g + 0.5f * b, cr = 128 + 0.5f * r - 0.418688f * g - 0.081312f * b;
            if (cb is >= 77 and <= 127 && cr is >= 133 and <= 173) skin++;
        }
        return (float)skin / ((x1 - x0) * (y1 - y0));
    }

    public QualityReport Assess(in CropMeasures m, in FaceBox box, HeadPose pose, EyeState? eyes)
    {
        var reasons = new List<string>(2);
        var score = 1f;
        void Check(float margin, string reason)
        {
            score = MathF.Min(score, margin);
            if (margin < 0.5f && !reasons.Contains(reason)) reasons.Add(reason);
        }

        var faceSize = MathF.Min(box.Width, box.Height);
        Check(Margin(m.Sharpness, 0, o.BlurThreshold, 4 * o.BlurThreshold), QualityReasons.Blur);
        Check(Margin(m.Brightness, 0, o.BrightnessLow, 2 * o.BrightnessLow), QualityReasons.LowBrightness);
        Check(Margin(m.Brightness, 255, o.BrightnessHigh, o.BrightnessHigh - 40), QualityReasons.Overexposed);
        Check(Margin(m.ClippedFraction, 1, o.ClippedFractionMax, 0), QualityReasons.Overexposed);
        Check(Margin(MathF.Abs(pose.Yaw), 90, o.MaxYaw, 0), QualityReasons.ExtremePose);
        Check(Margin(MathF.Abs(pose.Pitch), 90, o.MaxPitch, 0), QualityReasons.ExtremePose);
        Check(Margin(MathF.Abs(pose.Roll), 90, o.MaxRoll, 0), QualityReasons.ExtremePose);
        if (eyes is { } e) Check(Margin(e.OpenProbability, 0, o.EyesOpenThreshold, 1), QualityReasons.EyesClosed);
        Check(Margin(faceSize, 0, o.MinFaceSize, 3 * o.MinFaceSize), QualityReasons.FaceTooSmall);
        Check(Margin(m.Occlusion, 1, o.OcclusionThreshold, 0), QualityReasons.Occluded);
        Check(Margin(box.Score, 0, o.LowConfidenceThreshold, 1), QualityReasons.LowConfidence);

        return new QualityReport(score, reasons, m.Sharpness, m.Brightness, pose,
            EyesOpen: eyes is not { } ey || ey.OpenProbability >= o.EyesOpenThreshold,
            // −1, not NaN, when unmeasured: NaN would make JSON serialisers throw downstream.
            EyesOpenProbability: eyes?.OpenProbability ?? -1f,
            faceSize, box.Score, m.Occlusion);
    }

    /// <summary>Piecewise-linear margin: 0 at <paramref name="worst"/>, 0.5 at <paramref name="threshold"/>,
    /// 1 at <paramref name="ideal"/> and beyond; works whichever direction is better.</summary>
    static float Margin(float value, float worst, float threshold, float ideal)
    {
        var t = (value - worst) / (threshold - worst);
        if (t < 1) return MathF.Max(0f, 0.5f * t); // Max also turns −0 into 0
        return 0.5f + 0.5f * Math.Clamp((value - threshold) / (ideal - threshold), 0, 1);
    }
}
