using Visage.Testing;

namespace Visage.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class QualityTests(EngineFixture fx)
{
    public static TheoryData<string> Blurred() => new(EngineFixture.Files("quality", "blur").Select(Path.GetFileName)!);
    public static TheoryData<string> Tiny() => new(EngineFixture.Files("quality", "tiny").Select(Path.GetFileName)!);
    public static TheoryData<string> NoFace() => new(EngineFixture.Files("quality", "noface").Select(Path.GetFileName)!);

    [Theory, MemberData(nameof(Blurred))]
    public void Blurred_face_is_reported_with_BLUR_and_a_failing_score(string file)
    {
        var q = fx.Analyze("quality", "blur", file).Subject!.Quality;
        Assert.Contains(QualityReasons.Blur, q.Reasons);
        Assert.True(q.Score < 0.5f);
        Assert.True(q.Sharpness < fx.Options.BlurThreshold);
    }

    [Fact]
    public void Sharp_original_of_a_blurred_face_passes_the_blur_check()
    {
        var q = fx.Analyze("verify", "Adel_Al-Jubeir", "Adel_Al-Jubeir_0001.jpg").Subject!.Quality;
        Assert.DoesNotContain(QualityReasons.Blur, q.Reasons);
    }

    // Every tiny/ image is 24 or 48 px: under the 100 px minimum side, so the typed outcome is an image error
    // (IMAGE_TOO_SMALL), never a face result.
    [Theory, MemberData(nameof(Tiny))]
    public void Tiny_image_is_rejected_as_too_small(string file)
    {
        var e = Assert.Throws<ImageException>(() => fx.Analyze("quality", "tiny", file));
        Assert.Equal(ImageErrorKind.TooSmall, e.Kind);
    }

    [Fact]
    public void Small_face_in_a_large_enough_image_gets_FACE_TOO_SMALL()
    {
        // 100x100 photo with a ~25 px face.
        var q = fx.Analyze("quality", "occluded", "facemask_with_mask536.jpg").Subject!.Quality;
        Assert.Contains(QualityReasons.FaceTooSmall, q.Reasons);
        Assert.True(q.FaceSize < fx.Options.MinFaceSize);
    }

    [Theory, MemberData(nameof(NoFace))]
    public void Image_without_a_face_yields_no_face(string file)
    {
        var a = fx.Analyze("quality", "noface", file);
        Assert.Empty(a.Faces);
        Assert.Equal(-1, a.SubjectIndex);
        Assert.Null(a.Subject);
    }

    [Theory]
    [InlineData("facemask_with_mask421.jpg")]
    [InlineData("facemask_with_mask536.jpg")]
    [InlineData("trueface_mask.jpg")]
    public void Masked_face_is_reported_OCCLUDED(string file)
    {
        var q = fx.Analyze("quality", "occluded", file).Subject!.Quality;
        Assert.Contains(QualityReasons.Occluded, q.Reasons);
        Assert.True(q.Occlusion >= fx.Options.OcclusionThreshold);
    }

    [Fact]
    public void Other_masked_photos_fail_as_too_small_or_on_quality()
    {
        // 83x107 px: an image error before any face work.
        Assert.Equal(ImageErrorKind.TooSmall,
            Assert.Throws<ImageException>(() => fx.Analyze("quality", "occluded", "facemask_130.jpg")).Kind);
        // A 77 px, soft, low-confidence face: the mask is not measured reliably, but the face is still refused.
        var q = fx.Analyze("quality", "occluded", "facemask_131.jpg").Subject!.Quality;
        Assert.True(q.Score < 0.5f);
        Assert.NotEmpty(q.Reasons);
    }

    [Fact]
    public void Unmasked_faces_are_not_reported_occluded()
    {
        var flagged = new List<string>();
        foreach (var dir in Directory.GetDirectories(TestData.Path_("verify")))
        foreach (var file in Directory.GetFiles(dir))
        {
            var q = fx.Engine.Analyze(File.ReadAllBytes(file), AnalyzeOptions.Default).Subject!.Quality;
            if (q.Reasons.Contains(QualityReasons.Occluded)) flagged.Add(Path.GetFileName(file));
        }
        Assert.Empty(flagged);
    }

    [Fact]
    public void Strong_pitch_gets_EXTREME_POSE()
    {
        var q = fx.Analyze("quality", "pose", "deca_examples_alfw2.png").Subject!.Quality;
        Assert.Contains(QualityReasons.ExtremePose, q.Reasons);
        Assert.True(q.Pose.Pitch > fx.Options.MaxPitch);
    }

    [Fact]
    public void Frontal_sharp_portrait_passes_with_no_reasons()
    {
        var face = fx.Analyze("verify", "Marcelo_Bielsa", "Marcelo_Bielsa_0001.jpg").Subject!;
        Assert.Empty(face.Quality.Reasons);
        Assert.InRange(face.Quality.Score, 0.5f, 1f);
        Assert.True(face.Quality.EyesOpen);
        Assert.InRange(MathF.Abs(face.Quality.Pose.Yaw), 0, 20);
    }

    [Fact]
    public void Skipping_quality_leaves_pose_and_eyes_unmeasured()
    {
        var a = fx.Engine.Analyze(TestData.Read("verify", "Juanes", "Juanes_0001.jpg"), new AnalyzeOptions(Liveness: false, Quality: false));
        var f = a.Subject!;
        Assert.Null(f.Liveness);
        Assert.Equal(-1f, f.Quality.EyesOpenProbability);
        Assert.True(f.Quality.Sharpness > 0);
    }
}
