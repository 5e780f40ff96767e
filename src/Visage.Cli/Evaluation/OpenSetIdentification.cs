namespace Visage.Cli.Evaluation;

/// <summary>A probe of a person who is in the gallery: whether the best gallery match was that person, and its score.
/// A probe without a usable face is <c>new(false, double.NegativeInfinity)</c>.</summary>
public readonly record struct MateProbe(bool Rank1Correct, double TopScore);

public sealed record OpenSetResult(
    int Mates, int NonMates,
    double Rank1,            // mates whose best gallery match is the right person, at any score
    double TargetFpir,
    double Threshold,        // the lowest threshold whose false-positive identification rate is <= TargetFpir
    double ActualFpir,       // non-mates at or above Threshold / NonMates
    double HitRate);         // mates that are rank-1 correct and at or above Threshold

/// <summary>Open-set 1:N identification: probes of enrolled people should be found, probes of strangers should not
/// raise an alarm. The threshold is set on the non-mates alone, the way an operator would choose it.</summary>
public static class OpenSetIdentification
{
    public static OpenSetResult Evaluate(IReadOnlyList<MateProbe> mates, IReadOnlyList<double> nonMateTopScores,
        double targetFpir)
    {
        if (mates.Count == 0) throw new ArgumentException("open-set identification needs mate probes");
        if (nonMateTopScores.Count == 0) throw new ArgumentException("open-set identification needs non-mate probes");

        var nonMates = nonMateTopScores.ToArray();
        Array.Sort(nonMates);
        Array.Reverse(nonMates);
        // At most floor(target * n) strangers may reach the threshold: put it just above the next one.
        var allowed = (int)Math.Floor(targetFpir * nonMates.Length + 1e-9);
        var threshold = allowed >= nonMates.Length ? double.NegativeInfinity : Math.BitIncrement(nonMates[allowed]);

        var alarms = 0;
        // A stranger without a usable face (score -inf) cannot raise an alarm at any threshold.
        foreach (var s in nonMates) if (s >= threshold && !double.IsNegativeInfinity(s)) alarms++;
        int rank1 = 0, hits = 0;
        foreach (var m in mates)
        {
            if (!m.Rank1Correct) continue;
            rank1++;
            if (m.TopScore >= threshold) hits++;
        }
        return new OpenSetResult(mates.Count, nonMates.Length, (double)rank1 / mates.Count, targetFpir, threshold,
            (double)alarms / nonMates.Length, (double)hits / mates.Count);
    }
}
