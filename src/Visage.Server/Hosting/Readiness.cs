namespace Visage.Server.Hosting;

/// <summary>What /readyz reports besides the store ping.</summary>
public sealed class Readiness
{
    public volatile bool ModelsLoaded;
    public volatile bool IndexesLoaded;
}
