using Visage.Engine;
using Visage.Engine.Imaging;
using Xunit;

namespace Visage.Cli.Tests;

/// <summary>One real engine for every end-to-end test: the models load once, commands borrow it.</summary>
public sealed class CliFixture : IDisposable
{
    public CliFixture()
    {
        var options = new EngineOptions();
        Engine = new FaceEngine(options, new NativeImageDecoder(options));
    }

    public FaceEngine Engine { get; }

    /// <summary>Runs `visage ARGS` in-process and captures what it prints.</summary>
    public async Task<CliResult> Run(params string[] args) => await Run(EngineSource.Borrow(Engine), args);

    public static async Task<CliResult> Run(EngineSource engines, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await VisageCli.RunAsync(args, output, error, engines);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    public void Dispose() => Engine.Dispose();
}

public sealed record CliResult(int ExitCode, string Output, string Error);

[CollectionDefinition("engine")]
public sealed class EngineCollection : ICollectionFixture<CliFixture>;
