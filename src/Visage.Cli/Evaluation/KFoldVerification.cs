namespace Visage.Cli.Evaluation;

/// <summary>A scored pair: <see cref="Same"/> is the truth, <see cref="Fold"/> the protocol's fold (0-based).</summary>
public readonly record struct ScoredPair(double Score, bool Same, int Fold);

public sealed record KFoldResult(double MeanAccuracy, double StdAccuracy, double MeanThreshold,
    IReadOnlyList<double> FoldAccuracies, IReadOnlyList<double> FoldThresholds);

/// <summary>
/// The LFW verification protocol: for each fold, the threshold that maximises accuracy on the other folds
/// is applied to the held-out fold; the result is the mean and (population) standard deviation of the
/// held-out accuracies, so the threshold never sees the pairs it is judged on.
/// </summary>
public static class KFoldVerification
{
    public static KFoldResult Evaluate(IReadOnlyList<ScoredPair> pairs)
    {
        var folds = 0;
        foreach (var p in pairs) folds = Math.Max(folds, p.Fold + 1);
        if (folds < 2) throw new ArgumentException("the k-fold protocol needs at least two folds");

        var accuracies = new double[folds];
        var thresholds = new double[folds];
        var train = new List<ScoredPair>(pairs.Count);
        var test = new List<ScoredPair>(pairs.Count / folds + 1);
        for (var k = 0; k < folds; k++)
        {
            train.Clear(); test.Clear();
            foreach (var p in pairs) (p.Fold == k ? test : train).Add(p);
            if (test.Count == 0 || train.Count == 0) throw new ArgumentException($"fold {k} is empty");
            thresholds[k] = BestThreshold(train);
            accuracies[k] = Accuracy(test, thresholds[k]);
        }
        var mean = accuracies.Average();
        var std = Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / folds);
        return new KFoldResult(mean, std, thresholds.Average(), accuracies, thresholds);
    }

    /// <summary>Same-person pairs at or above the threshold and different-person pairs below it, as a fraction.</summary>
    public static double Accuracy(IReadOnlyList<ScoredPair> pairs, double threshold)
    {
        var correct = 0;
        foreach (var p in pairs)
            if ((p.Score >= threshold) == p.Same) correct++;
        return (double)correct / pairs.Count;
    }

    /// <summary>The accuracy-maximising threshold, placed midway between two neighbouring scores so it does not
    /// sit on a training sample; among equal accuracies, the lowest.</summary>
    public static double BestThreshold(IReadOnlyList<ScoredPair> pairs)
    {
        var sorted = pairs.OrderBy(p => p.Score).ToArray();
        // Start with every pair accepted (threshold below all scores): the same-pairs are right.
        var correct = 0;
        foreach (var p in sorted) if (p.Same) correct++;
        var bestCorrect = correct;
        var bestThreshold = sorted[0].Score - 1e-6;
        for (var i = 0; i < sorted.Length; i++)
        {
            // Raising the threshold past sorted[i] rejects it.
            correct += sorted[i].Same ? -1 : 1;
            if (i + 1 < sorted.Length && sorted[i + 1].Score == sorted[i].Score) continue; // ties move together
            var threshold = i + 1 < sorted.Length ? (sorted[i].Score + sorted[i + 1].Score) / 2 : sorted[i].Score + 1e-6;
            if (correct > bestCorrect) { bestCorrect = correct; bestThreshold = threshold; }
        }
        return bestThreshold;
    }

    /// <summary>Deals the same-pairs and the different-pairs separately, after a seeded shuffle, round-robin into
    /// <paramref name="folds"/> folds, so every fold holds both kinds in the same proportion and reruns agree.</summary>
    public static int[] SeededFolds(IReadOnlyList<bool> same, int folds, int seed)
    {
        var result = new int[same.Count];
        var rng = new Random(seed);
        foreach (var kind in new[] { true, false })
        {
            var idx = new List<int>();
            for (var i = 0; i < same.Count; i++) if (same[i] == kind) idx.Add(i);
            var shuffled = idx.ToArray();
            rng.Shuffle(shuffled);
            for (var j = 0; j < shuffled.Length; j++) result[shuffled[j]] = j % folds;
        }
        return result;
    }
}
