namespace Visage.Cli.Evaluation;

/// <summary>What the engine said about one image of a liveness test set.</summary>
public enum LivenessOutcome { Live, Spoof, Uncertain, NoFace }

/// <summary><paramref name="Score"/> is P(live); it is ignored for Uncertain and NoFace.</summary>
public readonly record struct LivenessSample(bool IsReal, LivenessOutcome Outcome, double Score);

public sealed record LivenessResult(
    int Real, int Spoof,                     // decided samples (verdict Live or Spoof) of each class
    int UncertainReal, int UncertainSpoof,   // left out of every rate below
    int NoFaceReal, int NoFaceSpoof,         // likewise
    double Apcer,                            // spoofs the engine called live / decided spoofs
    double Bpcer,                            // real faces the engine called spoof / decided real faces
    double Eer, double EerThreshold,         // over the scores of the decided samples
    double Auc);

/// <summary>Presentation-attack detection rates in the ISO/IEC 30107-3 sense, for one attack type (all spoofs
/// together). APCER and BPCER use the engine's own verdicts, i.e. its default threshold.</summary>
public static class LivenessEvaluation
{
    public static LivenessResult Evaluate(IReadOnlyList<LivenessSample> samples)
    {
        var realScores = new List<double>();
        var spoofScores = new List<double>();
        int uncertainReal = 0, uncertainSpoof = 0, noFaceReal = 0, noFaceSpoof = 0, acceptedSpoofs = 0, rejectedReals = 0;
        foreach (var s in samples)
        {
            switch (s.Outcome)
            {
                case LivenessOutcome.Uncertain: if (s.IsReal) uncertainReal++; else uncertainSpoof++; continue;
                case LivenessOutcome.NoFace: if (s.IsReal) noFaceReal++; else noFaceSpoof++; continue;
            }
            if (s.IsReal)
            {
                realScores.Add(s.Score);
                if (s.Outcome == LivenessOutcome.Spoof) rejectedReals++;
            }
            else
            {
                spoofScores.Add(s.Score);
                if (s.Outcome == LivenessOutcome.Live) acceptedSpoofs++;
            }
        }
        double eer = double.NaN, eerThreshold = double.NaN, auc = double.NaN;
        if (realScores.Count > 0 && spoofScores.Count > 0)
        {
            var scores = new BinaryScores(realScores, spoofScores);
            (eer, var point) = scores.EqualErrorRate();
            eerThreshold = point.Threshold;
            auc = scores.Auc();
        }
        return new LivenessResult(realScores.Count, spoofScores.Count, uncertainReal, uncertainSpoof, noFaceReal, noFaceSpoof,
            Ratio(acceptedSpoofs, spoofScores.Count), Ratio(rejectedReals, realScores.Count), eer, eerThreshold, auc);
    }

    static double Ratio(int n, int d) => d == 0 ? double.NaN : (double)n / d;
}
