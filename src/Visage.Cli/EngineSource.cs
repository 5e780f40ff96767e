using Microsoft.Extensions.Configuration;
using Visage.Engine;
using Visage.Engine.Imaging;

namespace Visage.Cli;

/// <summary>Where a command gets its engine: loaded from the installed models (and disposed after the command), or
/// borrowed from the caller.</summary>
public sealed class EngineSource
{
    readonly Func<IFaceEngine> _create;
    readonly bool _owned;

    EngineSource(Func<IFaceEngine> create, bool owned) { _create = create; _owned = owned; }

    /// <summary>Engine options with any VISAGE_ENGINE__* overrides, as `visage serve` reads them.</summary>
    public static EngineOptions ConfiguredOptions { get; } =
        new ConfigurationBuilder().AddEnvironmentVariables("VISAGE_").Build().GetSection("Engine").Get<EngineOptions>()
        ?? new EngineOptions();

    /// <summary>The installed models with <see cref="ConfiguredOptions"/>.</summary>
    public static EngineSource Default { get; } = FromOptions(ConfiguredOptions);

    /// <summary>Loads a new engine with these options for each command.</summary>
    public static EngineSource FromOptions(EngineOptions options) =>
        new(() => new FaceEngine(options, new NativeImageDecoder(options)), owned: true);

    public static EngineSource Borrow(IFaceEngine engine) => new(() => engine, owned: false);

    public Lease Acquire() => new(_create(), _owned);

    public readonly struct Lease(IFaceEngine engine, bool owned) : IDisposable
    {
        public IFaceEngine Engine { get; } = engine;
        public void Dispose() { if (owned) Engine.Dispose(); }
    }
}
