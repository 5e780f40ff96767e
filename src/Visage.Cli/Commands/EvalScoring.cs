using Visage.Cli.Evaluation;
using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>Turns per-image analyses into the eval metrics; the arithmetic itself lives in <c>Evaluation/</c>.</summary>
public static class EvalScoring
{
    public const int Folds = 10, FoldSeed = 7;
    const double NoFaceScore = -1; // a pair with a missing face is a rejection at every threshold

    public static void Detection(EvalReport report, IReadOnlyList<ImageOutcome> outcomes)
    {
        int withFace = 0, unreadable = 0;
        foreach (var o in outcomes)
        {
            if (o.Subject is not null) withFace++;
            if (o.Error is not null) unreadable++;
        }
        report.DetectionRate = EvalReport.Value((double)withFace / outcomes.Count);
        report.ImagesWithoutFace = outcomes.Count - withFace;
        report.UnreadableImages = unreadable;
    }

    /// <returns>The pair scores, for the ROC plot.</returns>
    public static BinaryScores? Verification(EvalReport report, IReadOnlyList<LabeledPair> pairs,
        IReadOnlyDictionary<string, DetectedFace?> subjects)
    {
        var fileFolds = pairs.All(p => p.Fold >= 0) && pairs.Select(p => p.Fold).Distinct().Count() >= 2;
        int same = pairs.Count(p => p.Same), different = pairs.Count - same;
        // Dealt folds each need a pair of both kinds, so a small list gets fewer folds.
        var k = Math.Min(Folds, Math.Min(same, different));
        var folds = fileFolds || k < 2 ? null : KFoldVerification.SeededFolds(pairs.Select(p => p.Same).ToArray(), k, FoldSeed);
        var scored = new ScoredPair[pairs.Count];
        var positives = new List<double>(same);
        var negatives = new List<double>(different);
        var missing = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var (a, b) = (subjects[p.Image1], subjects[p.Image2]);
            var score = a is null || b is null ? NoFaceScore : Similarity.Cosine(a.Embedding, b.Embedding);
            if (a is null || b is null) missing++;
            (p.Same ? positives : negatives).Add(score);
            scored[i] = new ScoredPair(score, p.Same, fileFolds ? p.Fold : folds?[i] ?? 0);
        }
        report.SamePairs = same;
        report.DifferentPairs = different;
        report.PairsWithoutFace = missing;
        if (same == 0 || different == 0)
        {
            report.Notes.Add("verification needs both same-person and different-person pairs");
            return null;
        }
        if (fileFolds || folds is not null)
        {
            report.PairsProtocol = fileFolds
                ? $"{pairs.Max(p => p.Fold) + 1}-fold, folds as in the pairs file"
                : $"{k}-fold over a seeded shuffle (seed {FoldSeed}), same/different pairs dealt evenly";
            var kfold = KFoldVerification.Evaluate(scored);
            report.VerificationAccuracy = EvalReport.Value(kfold.MeanAccuracy);
            report.VerificationAccuracyStd = EvalReport.Value(kfold.StdAccuracy);
            report.VerificationThreshold = EvalReport.Value(kfold.MeanThreshold);
        }
        else report.Notes.Add("fewer than 2 pairs of a kind: no k-fold accuracy");

        var scores = new BinaryScores(positives, negatives);
        report.RocAuc = EvalReport.Value(scores.Auc(), 5);
        var at2 = scores.TarAtFar(1e-2);
        var at3 = scores.TarAtFar(1e-3);
        (report.TarAtFar1e2, report.ThresholdAtFar1e2) = (EvalReport.Value(at2.TrueAcceptRate), EvalReport.Value(at2.Threshold));
        (report.TarAtFar1e3, report.ThresholdAtFar1e3) = (EvalReport.Value(at3.TrueAcceptRate), EvalReport.Value(at3.Threshold));
        var engine = scores.At(EngineDefaults.MatchThreshold);
        report.MatchThreshold = EngineDefaults.MatchThreshold;
        report.TarAtMatchThreshold = EvalReport.Value(engine.TrueAcceptRate);
        report.FarAtMatchThreshold = EvalReport.Value(engine.FalseAcceptRate);
        if (negatives.Count < 1000)
            report.Notes.Add($"{negatives.Count} different-person pairs: FAR steps are {1.0 / negatives.Count:0.####}, so TAR at " +
                             $"FAR 1e-3{(negatives.Count < 100 ? " and 1e-2" : "")} is the TAR at FAR 0 (threshold above every impostor)");
        return scores;
    }

    public static void Identification(EvalReport report, IdentityDataset dataset,
        IReadOnlyDictionary<string, DetectedFace?> subjects)
    {
        var gallery = new List<(string Identity, float[] Embedding)>();
        var mateFaces = new List<(string Identity, DetectedFace? Face)>();
        var nonMateFaces = new List<DetectedFace?>();
        foreach (var (identity, images) in dataset.ByIdentity)
        {
            if (images.Count == 1) { nonMateFaces.Add(subjects[images[0].RelativePath]); continue; }
            // The first image that has a face is enrolled; the rest probe for it.
            var enrolled = -1;
            for (var i = 0; i < images.Count && enrolled < 0; i++)
                if (subjects[images[i].RelativePath] is { } f) { gallery.Add((identity, f.Embedding)); enrolled = i; }
            if (enrolled < 0) { report.Notes.Add($"{identity}: no image with a face, left out of the gallery"); continue; }
            if (enrolled > 0) report.Notes.Add($"{identity}: first image had no face, enrolled image {enrolled + 1}");
            for (var i = 0; i < images.Count; i++)
                if (i != enrolled) mateFaces.Add((identity, subjects[images[i].RelativePath]));
        }
        var mates = new List<MateProbe>(mateFaces.Count);
        foreach (var (identity, face) in mateFaces)
        {
            if (face is null) { mates.Add(new MateProbe(false, double.NegativeInfinity)); continue; }
            var best = Best(gallery, face.Embedding);
            mates.Add(new MateProbe(best.Identity == identity, best.Score));
        }
        var nonMates = new List<double>(nonMateFaces.Count);
        foreach (var face in nonMateFaces)
            nonMates.Add(face is null ? double.NegativeInfinity : Best(gallery, face.Embedding).Score);

        report.GallerySize = gallery.Count;
        report.MateProbes = mates.Count;
        report.NonMateProbes = nonMates.Count;
        if (mates.Count == 0 || nonMates.Count == 0)
        {
            report.Notes.Add("open-set identification needs identities with >=2 images and identities with 1 image");
            return;
        }
        var r = OpenSetIdentification.Evaluate(mates, nonMates, 1e-2);
        report.Rank1 = EvalReport.Value(r.Rank1);
        report.HitRateAtFpir1e2 = EvalReport.Value(r.HitRate);
        report.ThresholdAtFpir1e2 = EvalReport.Value(r.Threshold);
        report.ActualFpir = EvalReport.Value(r.ActualFpir);
        if (nonMates.Count < 100)
            report.Notes.Add($"only {nonMates.Count} non-mate probes: FPIR 1e-2 is coarse, the threshold " +
                             $"({r.Threshold:0.####}) sits just above the best-scoring non-mate");
    }

    static (string? Identity, double Score) Best(List<(string Identity, float[] Embedding)> gallery, float[] probe)
    {
        (string? Identity, double Score) best = (null, double.NegativeInfinity);
        foreach (var (identity, embedding) in gallery)
        {
            var s = Similarity.Cosine(embedding, probe);
            if (s > best.Score) best = (identity, s);
        }
        return best;
    }

    public static void Liveness(EvalReport report, IReadOnlyList<(bool IsReal, ImageOutcome Outcome)> images)
    {
        var samples = new List<LivenessSample>(images.Count);
        foreach (var (isReal, o) in images)
            samples.Add(o.Subject?.Liveness is { } l
                ? new LivenessSample(isReal, l.Verdict switch
                {
                    LivenessVerdict.Live => LivenessOutcome.Live,
                    LivenessVerdict.Spoof => LivenessOutcome.Spoof,
                    _ => LivenessOutcome.Uncertain,
                }, l.Score)
                : new LivenessSample(isReal, LivenessOutcome.NoFace, double.NaN));
        var r = LivenessEvaluation.Evaluate(samples);
        report.LivenessReal = r.Real;
        report.LivenessSpoof = r.Spoof;
        report.LivenessUncertainReal = r.UncertainReal;
        report.LivenessUncertainSpoof = r.UncertainSpoof;
        report.LivenessNoFace = r.NoFaceReal + r.NoFaceSpoof;
        report.LivenessThreshold = EngineDefaults.LivenessThreshold;
        report.Apcer = EvalReport.Value(r.Apcer);
        report.Bpcer = EvalReport.Value(r.Bpcer);
        report.Eer = EvalReport.Value(r.Eer);
        report.EerThreshold = EvalReport.Value(r.EerThreshold);
        report.LivenessAuc = EvalReport.Value(r.Auc);
        if (r.UncertainReal + r.UncertainSpoof > 0)
            report.Notes.Add($"liveness: {r.UncertainReal} real and {r.UncertainSpoof} spoof images were Uncertain " +
                             "(e.g. tight crops) and are left out of APCER/BPCER/EER");
    }
}
