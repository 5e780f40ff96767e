using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Visage.Service;

/// <summary>The model's calibrated cut-offs. One <c>match_threshold</c> setting maps onto two defaults:
/// unset, identification (1:N) uses <see cref="Identify"/> and verification (1:1) uses <see cref="Verify"/>;
/// set, the user's value applies to both. Bound from configuration section "Thresholds".</summary>
public sealed class ModelThresholds
{
    /// <summary>1:1 default (verify, compare): LFW-calibrated FAR ≈ 1e-3 point.</summary>
    public float Verify { get; set; } = Visage.Engine.Thresholds.Verify;
    /// <summary>1:N default (identify): stricter, because every enrolled face is another chance of a false match.</summary>
    public float Identify { get; set; } = Visage.Engine.Thresholds.Identify;
    /// <summary>Auto-enroll needs this much more than the match threshold when auto_enroll_threshold is unset.</summary>
    public float AutoEnrollMargin { get; set; } = 0.10f;
    /// <summary>P(live) below which a checked face is refused (engine recommendation: the real/spoof equal-error cut).</summary>
    public float Liveness { get; set; } = new Visage.Engine.EngineOptions().LivenessThreshold;
    /// <summary>Thresholds for false-accept rates of 1e-3, 1e-4, 1e-5 (published by GET /models).</summary>
    public float Far1e3 { get; set; } = Visage.Engine.Thresholds.Far1e3;
    public float Far1e4 { get; set; } = Visage.Engine.Thresholds.Far1e4;
    public float Far1e5 { get; set; } = Visage.Engine.Thresholds.Far1e5;
    /// <summary>Where the figures come from, shown by GET /models.</summary>
    public string Source { get; set; } =
        "LFW View 2, 6,000 pairs (FACE-ENGINE.md, docs/notes/engine.md): FAR 1e-3 measured near 0.33; 1e-4 and 1e-5 extrapolated from the impostor tail; "
        + "the 1:N default from a ~5,000-face gallery (about 1% of unknown people falsely matched).";
}

/// <summary>A collection's settings as stored. Null thresholds mean "the model's default", resolved at use
/// so that a better calibration later applies to collections that never chose a value.</summary>
public sealed record CollectionSettings
{
    public float? MatchThreshold { get; init; }
    public bool CheckLiveness { get; init; } = true;
    public float? LivenessThreshold { get; init; }
    public float? QualityThreshold { get; init; }
    public bool AutoEnroll { get; init; } = true;
    public float? AutoEnrollThreshold { get; init; }
    public int MaxReferencesPerFace { get; init; } = 10;
    public bool StoreFaceCrops { get; init; } = true;

    public float IdentifyThreshold(ModelThresholds m) => MatchThreshold ?? m.Identify;
    public float VerifyThreshold(ModelThresholds m) => MatchThreshold ?? m.Verify;
    public float EffectiveAutoEnrollThreshold(ModelThresholds m) =>
        AutoEnrollThreshold ?? MathF.Min(0.95f, IdentifyThreshold(m) + m.AutoEnrollMargin);
    public float EffectiveLivenessThreshold(ModelThresholds m) => LivenessThreshold ?? m.Liveness;

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CollectionSettings FromJson(string? json) =>
        string.IsNullOrWhiteSpace(json) ? new() : JsonSerializer.Deserialize<CollectionSettings>(json, Json) ?? new();

    /// <summary>Overlays the fields present in <paramref name="patch"/> (a JSON object) on these settings;
    /// a field set to null returns to its default.</summary>
    public CollectionSettings Merge(JsonElement? patch)
    {
        if (patch is not { } p || p.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return this;
        if (p.ValueKind != JsonValueKind.Object) throw new ValidationFailedException("settings must be a JSON object.", "settings");
        var baseNode = JsonNode.Parse(ToJson())!.AsObject();
        var defaults = JsonNode.Parse(new CollectionSettings().ToJson())!.AsObject();
        foreach (var prop in p.EnumerateObject())
        {
            if (!defaults.ContainsKey(prop.Name)) throw new ValidationFailedException($"Unknown setting '{prop.Name}'.", "settings." + prop.Name);
            baseNode[prop.Name] = prop.Value.ValueKind == JsonValueKind.Null ? defaults[prop.Name]?.DeepClone() : JsonNode.Parse(prop.Value.GetRawText());
        }
        CollectionSettings merged;
        try { merged = baseNode.Deserialize<CollectionSettings>(Json)!; }
        catch (JsonException e) { throw new ValidationFailedException("Invalid settings: " + e.Message, "settings"); }
        merged.Validate();
        return merged;
    }

    void Validate()
    {
        static void Range(float? v, float lo, float hi, string name)
        {
            if (v is { } x && (float.IsNaN(x) || x < lo || x > hi))
                throw new ValidationFailedException($"{name} must be between {lo} and {hi}.", "settings." + name);
        }
        Range(MatchThreshold, -1, 1, "match_threshold");
        Range(AutoEnrollThreshold, -1, 1, "auto_enroll_threshold");
        Range(LivenessThreshold, 0, 1, "liveness_threshold");
        Range(QualityThreshold, 0, 1, "quality_threshold");
        if (MaxReferencesPerFace is < 1 or > 100)
            throw new ValidationFailedException("max_references_per_face must be between 1 and 100.", "settings.max_references_per_face");
    }
}
