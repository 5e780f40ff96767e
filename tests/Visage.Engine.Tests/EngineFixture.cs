using Visage.Engine.Imaging;
using Visage.Testing;

namespace Visage.Engine.Tests;

/// <summary>One engine for the whole test assembly: models load once, as in the service.</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineOptions Options { get; } = new();
    public FaceEngine Engine { get; }

    public EngineFixture() => Engine = new FaceEngine(Options, new NativeImageDecoder(Options));

    public FaceAnalysis Analyze(params string[] path) =>
        Engine.Analyze(TestData.Read(path), new AnalyzeOptions(AlignedCrop: true));

    public static IEnumerable<string> Files(params string[] dir) =>
        Directory.GetFiles(TestData.Path_(dir)).Where(f => !f.EndsWith(".tsv") && !f.EndsWith(".csv")).Order();

    public static float Cosine(float[] a, float[] b)
    {
        float dot = 0;
        for (var i = 0; i < a.Length; i++) dot += a[i] * b[i];
        return dot;
    }

    public void Dispose() => Engine.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}
