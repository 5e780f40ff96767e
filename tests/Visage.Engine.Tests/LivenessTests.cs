using Visage.Testing;
using Xunit.Abstractions;

namespace Visage.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class LivenessTests(EngineFixture fx, ITestOutputHelper output)
{
    static IEnumerable<(string File, string Label, string Capture)> Labels() =>
        File.ReadLines(TestData.Path_("liveness", "labels.csv")).Skip(1).Select(l =>
        {
            var c = l.Split(',');
            // attack_type may be quoted with commas inside; capture is the 4th field from a split that respects quotes.
            var fields = SplitCsv(l);
            return (fields[0], fields[1], fields[3]);
        });

    static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var ch in line)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(ch);
        }
        fields.Add(current.ToString());
        return fields.ToArray();
    }

    LivenessResult? Assess(string file)
    {
        try { return fx.Analyze("liveness", file).Subject?.Liveness; }
        catch (ImageException e) when (e.Kind == ImageErrorKind.TooSmall) { return null; }
    }

    [Fact]
    public void Spoof_set_scores_lower_than_real_set_on_average()
    {
        var real = new List<float>();
        var spoof = new List<float>();
        foreach (var (file, label, _) in Labels())
            if (Assess(file) is { } r) (label == "real" ? real : spoof).Add(r.Score);
        output.WriteLine($"real n={real.Count} mean={real.Average():F3}; spoof n={spoof.Count} mean={spoof.Average():F3}");
        Assert.True(real.Count >= 16 && spoof.Count >= 8);
        Assert.True(spoof.Average() < real.Average());
    }

    [Fact]
    public void Full_frame_real_video_frames_are_live_and_replays_are_spoof()
    {
        foreach (var (file, label, capture) in Labels())
        {
            if (capture != "video_frame") continue;
            var r = Assess(file)!;
            Assert.Equal(label == "real" ? LivenessVerdict.Live : LivenessVerdict.Spoof, r.Verdict);
            Assert.Null(r.Note);
        }
    }

    [Fact]
    public void Tight_face_crop_is_uncertain_with_a_note()
    {
        var crops = Labels().Where(l => l.Capture == "face_crop").ToList();
        var assessed = 0;
        foreach (var (file, _, _) in crops)
        {
            if (Assess(file) is not { } r) continue; // under 100 px: refused before liveness
            assessed++;
            Assert.Equal(LivenessVerdict.Uncertain, r.Verdict);
            Assert.False(string.IsNullOrWhiteSpace(r.Note));
        }
        Assert.True(assessed >= 16, $"only {assessed} crops assessed");
    }

    [Fact]
    public void Liveness_is_null_when_not_requested()
    {
        var a = fx.Engine.Analyze(TestData.Read("liveness", "real", "vidframe_lestari15_real_t000.0s.jpg"), new AnalyzeOptions(Liveness: false));
        Assert.Null(a.Subject!.Liveness);
    }
}
