using Visage.Engine.Imaging;

namespace Visage.Engine.Tests;

[Collection(EngineCollection.Name)] // after the shared engine exists, so the process-wide runtime is loaded
public sealed class SetupTests(EngineFixture fx)
{
    [Fact]
    public void Missing_model_files_raise_EngineSetupException_with_the_setup_hint()
    {
        var empty = Directory.CreateTempSubdirectory("visage-nomodels-");
        try
        {
            var options = new EngineOptions { ModelsDirectory = empty.FullName };
            var e = Assert.Throws<EngineSetupException>(() => new FaceEngine(options, new NativeImageDecoder(options)));
            Assert.Contains("./visage setup", e.Message);
            Assert.Contains("fr_detect", e.Message);
        }
        finally { empty.Delete(true); }
    }

    [Fact]
    public void Missing_onnxruntime_library_raises_EngineSetupException_with_the_setup_hint()
    {
        var options = new EngineOptions { OnnxRuntimePath = "/nonexistent/visage-ort" };
        var e = Assert.Throws<EngineSetupException>(() => new FaceEngine(options, new NativeImageDecoder(options)));
        Assert.Contains("./visage setup", e.Message);
        Assert.NotNull(fx.Engine.Info);
    }

    [Fact]
    public void Engine_reports_its_model_version_and_embedding_size()
    {
        Assert.Equal("faceplugin-fr-0.0.1+arcface112", fx.Engine.Info.ModelVersion);
        Assert.Equal(512, fx.Engine.Info.EmbeddingSize);
    }
}

public sealed class OptionsTests
{
    [Fact]
    public void Default_options_are_valid()
    {
        new EngineOptions().Validate();
    }

    [Theory]
    [InlineData(nameof(EngineOptions.LivenessThreshold))]
    [InlineData(nameof(EngineOptions.OcclusionThreshold))]
    [InlineData(nameof(EngineOptions.DetectorScoreThreshold))]
    public void Probability_threshold_outside_0_to_1_is_rejected_naming_the_setting(string name)
    {
        var options = new EngineOptions();
        typeof(EngineOptions).GetProperty(name)!.SetValue(options, 1.5f);
        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Contains(name, e.ParamName);
    }

    [Fact]
    public void Inverted_brightness_limits_are_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(new EngineOptions { BrightnessLow = 200, BrightnessHigh = 100 }.Validate);
        Assert.Contains("Brightness", e.ParamName);
    }
}
