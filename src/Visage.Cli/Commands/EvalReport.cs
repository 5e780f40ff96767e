using System.Text.Json.Serialization;

namespace Visage.Cli.Commands;

/// <summary>Everything `visage eval` measured; null where the dataset did not allow the measurement.</summary>
public sealed class EvalReport
{
    public string? Dataset { get; set; }
    public int? Images { get; set; }
    public int? Identities { get; set; }
    public int? ImagesWithoutFace { get; set; }
    public int? UnreadableImages { get; set; }
    public double? DetectionRate { get; set; }

    public string? PairsFile { get; set; }
    public string? PairsProtocol { get; set; }
    public int? SamePairs { get; set; }
    public int? DifferentPairs { get; set; }
    public int? PairsWithoutFace { get; set; }
    public double? VerificationAccuracy { get; set; }
    public double? VerificationAccuracyStd { get; set; }
    public double? VerificationThreshold { get; set; }
    public double? RocAuc { get; set; }
    [JsonPropertyName("tar_at_far_1e-2")] public double? TarAtFar1e2 { get; set; }
    [JsonPropertyName("threshold_at_far_1e-2")] public double? ThresholdAtFar1e2 { get; set; }
    [JsonPropertyName("tar_at_far_1e-3")] public double? TarAtFar1e3 { get; set; }
    [JsonPropertyName("threshold_at_far_1e-3")] public double? ThresholdAtFar1e3 { get; set; }
    public double? MatchThreshold { get; set; }
    public double? TarAtMatchThreshold { get; set; }
    public double? FarAtMatchThreshold { get; set; }
    public string? RocSvg { get; set; }

    public int? GallerySize { get; set; }
    public int? MateProbes { get; set; }
    public int? NonMateProbes { get; set; }
    public double? Rank1 { get; set; }
    [JsonPropertyName("hit_rate_at_fpir_1e-2")] public double? HitRateAtFpir1e2 { get; set; }
    [JsonPropertyName("threshold_at_fpir_1e-2")] public double? ThresholdAtFpir1e2 { get; set; }
    [JsonPropertyName("actual_fpir_at_threshold")] public double? ActualFpir { get; set; }

    public string? LivenessDataset { get; set; }
    public int? LivenessReal { get; set; }
    public int? LivenessSpoof { get; set; }
    public int? LivenessUncertainReal { get; set; }
    public int? LivenessUncertainSpoof { get; set; }
    public int? LivenessNoFace { get; set; }
    public double? LivenessThreshold { get; set; }
    public double? Apcer { get; set; }
    public double? Bpcer { get; set; }
    public double? Eer { get; set; }
    public double? EerThreshold { get; set; }
    public double? LivenessAuc { get; set; }

    public int Workers { get; set; }
    public int ImagesAnalyzed { get; set; }
    public double AnalysisSeconds { get; set; }
    public double ImagesPerSecond { get; set; }
    /// <summary>Process CPU time per image: steadier than images/s when other work shares the cores.</summary>
    public double CpuMsPerImage { get; set; }

    public List<string> Notes { get; } = [];

    /// <summary>NaN (a rate with an empty denominator) is reported as null: JSON has no NaN.</summary>
    public static double? Value(double v, int decimals = 4) => double.IsFinite(v) ? Math.Round(v, decimals) : null;
}
