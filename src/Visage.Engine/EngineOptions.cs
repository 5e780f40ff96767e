namespace Visage.Engine;

/// <summary>Where the native library and models are, and the engine's thresholds. Bound from configuration
/// (section "Engine", environment VISAGE_ENGINE__*); defaults were measured on ../shared/testdata/faces.</summary>
public sealed class EngineOptions
{
    /// <summary>Directory with libonnxruntime.so.1; default $VISAGE_CACHE or ~/.cache/visage + /onnxruntime-1.30.0.</summary>
    public string? OnnxRuntimePath { get; set; }
    /// <summary>Directory with fr_*.onnx; default $VISAGE_CACHE or ~/.cache/visage + /models-faceplugin-0.0.1.</summary>
    public string? ModelsDirectory { get; set; }
    public int MinImageSide { get; set; } = 100;
    public long MaxImagePixels { get; set; } = 50_000_000;

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("VISAGE_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "visage");

    public string ResolveOnnxRuntimeLibrary() =>
        Path.Combine(OnnxRuntimePath ?? Path.Combine(CacheRoot, "onnxruntime-1.30.0"), "libonnxruntime.so.1");

    public string ResolveModelsDirectory() => ModelsDirectory ?? Path.Combine(CacheRoot, "models-faceplugin-0.0.1");
}
