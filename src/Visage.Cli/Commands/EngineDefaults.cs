using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>The engine's calibrated operating points, read in one place so every command reports the same ones.</summary>
public static class EngineDefaults
{
    public static double MatchThreshold { get; } = Math.Round((double)Thresholds.Verify, 4);
    public static double LivenessThreshold { get; } = Math.Round((double)EngineSource.ConfiguredOptions.LivenessThreshold, 4);
}
