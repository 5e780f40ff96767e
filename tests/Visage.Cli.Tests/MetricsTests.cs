using Visage.Cli.Evaluation;
using Xunit;

namespace Visage.Cli.Tests;

public class BinaryScoresTests
{
    // Hand-computed case: positives {0.9, 0.7, 0.4}, negatives {0.8, 0.3, 0.2, 0.1}.
    // Of the 12 positive/negative pairs, 10 are ordered correctly: AUC = 10/12.
    static readonly BinaryScores Small = new([0.9, 0.7, 0.4], [0.8, 0.3, 0.2, 0.1]);

    [Fact]
    public void Perfectly_separated_scores_have_auc_1_and_eer_0()
    {
        var scores = new BinaryScores([0.9, 0.8, 0.7], [0.1, 0.2, 0.3]);
        Assert.Equal(1.0, scores.Auc(), 12);
        var (eer, point) = scores.EqualErrorRate();
        Assert.Equal(0.0, eer, 12);
        Assert.InRange(point.Threshold, 0.3 + 1e-12, 0.7);
        Assert.Equal(1.0, scores.TarAtFar(0).TrueAcceptRate, 12);
    }

    [Fact]
    public void Reversed_scores_have_auc_0_and_identical_scores_auc_one_half()
    {
        Assert.Equal(0.0, new BinaryScores([0.1, 0.2], [0.8, 0.9]).Auc(), 12);
        Assert.Equal(0.5, new BinaryScores([0.5, 0.5], [0.5]).Auc(), 12);
    }

    [Fact]
    public void Auc_of_hand_computed_case_counts_correctly_ordered_pairs()
    {
        Assert.Equal(10.0 / 12, Small.Auc(), 12);
    }

    [Fact]
    public void Tar_at_far_takes_the_best_threshold_within_the_far_budget()
    {
        var at0 = Small.TarAtFar(0.1); // no negative may pass: only 0.9 is above 0.8
        Assert.Equal(1.0 / 3, at0.TrueAcceptRate, 12);
        Assert.Equal(0.0, at0.FalseAcceptRate, 12);
        Assert.Equal(0.9, at0.Threshold, 12);

        var at25 = Small.TarAtFar(0.25); // the 0.8 negative may pass: threshold drops to 0.4
        Assert.Equal(1.0, at25.TrueAcceptRate, 12);
        Assert.Equal(0.25, at25.FalseAcceptRate, 12);
        Assert.Equal(0.4, at25.Threshold, 12);
    }

    [Fact]
    public void Eer_of_hand_computed_case_is_where_false_rejects_and_false_accepts_meet()
    {
        // At threshold 0.7: FRR 1/3 (0.4 rejected), FAR 1/4 (0.8 accepted); every other threshold is further apart.
        var (eer, point) = Small.EqualErrorRate();
        Assert.Equal(0.7, point.Threshold, 12);
        Assert.Equal((1.0 / 3 + 0.25) / 2, eer, 12);
    }

    [Fact]
    public void Roc_runs_from_origin_to_one_one_with_thresholds_descending()
    {
        var roc = Small.Roc();
        Assert.Equal((0.0, 0.0), (roc[0].FalseAcceptRate, roc[0].TrueAcceptRate));
        Assert.Equal((1.0, 1.0), (roc[^1].FalseAcceptRate, roc[^1].TrueAcceptRate));
        Assert.Equal(8, roc.Count); // +inf and the seven distinct scores
        for (var i = 1; i < roc.Count; i++)
        {
            Assert.True(roc[i].Threshold < roc[i - 1].Threshold);
            Assert.True(roc[i].FalseAcceptRate >= roc[i - 1].FalseAcceptRate);
            Assert.True(roc[i].TrueAcceptRate >= roc[i - 1].TrueAcceptRate);
        }
    }

    [Fact]
    public void Scores_reject_empty_classes_and_nan()
    {
        Assert.Throws<ArgumentException>(() => new BinaryScores([], [0.1]));
        Assert.Throws<ArgumentException>(() => new BinaryScores([double.NaN], [0.1]));
    }
}

public class KFoldVerificationTests
{
    [Fact]
    public void Best_threshold_lies_between_the_classes_when_they_separate()
    {
        ScoredPair[] pairs = [new(0.9, true, 0), new(0.6, true, 0), new(0.4, false, 0), new(0.1, false, 0)];
        Assert.Equal(0.5, KFoldVerification.BestThreshold(pairs), 12);
        Assert.Equal(1.0, KFoldVerification.Accuracy(pairs, 0.5), 12);
    }

    [Fact]
    public void Held_out_fold_is_judged_with_the_threshold_learned_on_the_other_folds()
    {
        // Folds 0 and 1 separate at 0.5; fold 2 has a same-pair at 0.45 and a different pair at 0.55.
        // Held out, fold 2 is scored at the threshold learned on folds 0+1 (0.5): both of its pairs are wrong.
        ScoredPair[] pairs =
        [
            new(0.9, true, 0), new(0.1, false, 0), new(0.8, true, 0), new(0.2, false, 0),
            new(0.7, true, 1), new(0.3, false, 1), new(0.6, true, 1), new(0.4, false, 1),
            new(0.45, true, 2), new(0.55, false, 2),
        ];
        var result = KFoldVerification.Evaluate(pairs);
        Assert.Equal(0.0, result.FoldAccuracies[2], 12);
        Assert.Equal(0.5, result.FoldThresholds[2], 12);
        Assert.Equal(3, result.FoldAccuracies.Count);
        var mean = result.FoldAccuracies.Average();
        Assert.Equal(mean, result.MeanAccuracy, 12);
        var std = Math.Sqrt(result.FoldAccuracies.Sum(a => (a - mean) * (a - mean)) / 3);
        Assert.Equal(std, result.StdAccuracy, 12);
    }

    [Fact]
    public void Perfectly_separated_pairs_score_full_accuracy_on_every_fold()
    {
        var pairs = new List<ScoredPair>();
        for (var i = 0; i < 100; i++) pairs.Add(new ScoredPair(i % 2 == 0 ? 0.6 + i / 1000.0 : 0.1 + i / 1000.0, i % 2 == 0, i % 10));
        var result = KFoldVerification.Evaluate(pairs);
        Assert.Equal(1.0, result.MeanAccuracy, 12);
        Assert.Equal(0.0, result.StdAccuracy, 12);
    }

    [Fact]
    public void Seeded_folds_are_reproducible_and_balance_both_kinds()
    {
        var same = Enumerable.Range(0, 60).Select(i => i < 20).ToArray(); // 20 same, 40 different
        var a = KFoldVerification.SeededFolds(same, 10, 7);
        Assert.Equal(a, KFoldVerification.SeededFolds(same, 10, 7));
        Assert.NotEqual(a, KFoldVerification.SeededFolds(same, 10, 8));
        for (var k = 0; k < 10; k++)
        {
            Assert.Equal(2, Enumerable.Range(0, 60).Count(i => a[i] == k && same[i]));
            Assert.Equal(4, Enumerable.Range(0, 60).Count(i => a[i] == k && !same[i]));
        }
    }
}

public class OpenSetIdentificationTests
{
    [Fact]
    public void Threshold_sits_just_above_the_best_non_mate_when_fewer_than_100_non_mates()
    {
        MateProbe[] mates = [new(true, 0.9), new(true, 0.5), new(false, 0.7), new(true, 0.3)];
        double[] nonMates = [0.2, 0.45, 0.1];
        var r = OpenSetIdentification.Evaluate(mates, nonMates, 1e-2);
        Assert.Equal(0.75, r.Rank1, 12);
        Assert.True(r.Threshold > 0.45 && r.Threshold < 0.45 + 1e-12);
        Assert.Equal(0.0, r.ActualFpir, 12);
        Assert.Equal(0.5, r.HitRate, 12); // 0.9 and 0.5 are correct and above; 0.7 is the wrong person; 0.3 too low
    }

    [Fact]
    public void With_200_non_mates_fpir_1e2_allows_two_false_alarms()
    {
        var nonMates = Enumerable.Range(0, 200).Select(i => i / 1000.0).ToArray(); // 0 .. 0.199
        MateProbe[] mates = [new(true, 0.1985), new(true, 0.1965)];
        var r = OpenSetIdentification.Evaluate(mates, nonMates, 1e-2);
        Assert.Equal(0.01, r.ActualFpir, 12); // 0.198 and 0.199 alarm
        Assert.True(r.Threshold > 0.197 && r.Threshold <= 0.198);
        Assert.Equal(0.5, r.HitRate, 12);
    }

    [Fact]
    public void Probes_without_a_face_miss_and_strangers_without_a_face_never_alarm()
    {
        MateProbe[] mates = [new(true, 0.8), new(false, double.NegativeInfinity)];
        double[] nonMates = [double.NegativeInfinity, 0.3];
        var r = OpenSetIdentification.Evaluate(mates, nonMates, 0.5);
        Assert.Equal(0.5, r.Rank1, 12);
        Assert.Equal(0.5, r.ActualFpir, 12);
        Assert.Equal(0.5, r.HitRate, 12);
    }
}

public class LivenessEvaluationTests
{
    [Fact]
    public void Apcer_and_bpcer_count_the_engine_verdicts_and_uncertain_images_are_left_out()
    {
        LivenessSample[] samples =
        [
            new(true, LivenessOutcome.Live, 0.9), new(true, LivenessOutcome.Live, 0.6), new(true, LivenessOutcome.Spoof, 0.02),
            new(true, LivenessOutcome.Uncertain, 0.5),
            new(false, LivenessOutcome.Spoof, 0.01), new(false, LivenessOutcome.Live, 0.7), new(false, LivenessOutcome.Spoof, 0.03),
            new(false, LivenessOutcome.Spoof, 0.04), new(false, LivenessOutcome.NoFace, double.NaN),
        ];
        var r = LivenessEvaluation.Evaluate(samples);
        Assert.Equal((3, 4, 1, 0, 0, 1), (r.Real, r.Spoof, r.UncertainReal, r.UncertainSpoof, r.NoFaceReal, r.NoFaceSpoof));
        Assert.Equal(0.25, r.Apcer, 12);
        Assert.Equal(1.0 / 3, r.Bpcer, 12);
        // Reals {0.9, 0.6, 0.02} vs spoofs {0.7, 0.04, 0.03, 0.01}: at 0.6 one real and one spoof are wrong of 3 and 4.
        Assert.Equal(0.6, r.EerThreshold, 12);
        Assert.Equal((1.0 / 3 + 0.25) / 2, r.Eer, 12);
    }

    [Fact]
    public void Separated_liveness_scores_give_eer_0()
    {
        LivenessSample[] samples =
        [
            new(true, LivenessOutcome.Live, 0.9), new(true, LivenessOutcome.Live, 0.8),
            new(false, LivenessOutcome.Spoof, 0.01), new(false, LivenessOutcome.Spoof, 0.02),
        ];
        var r = LivenessEvaluation.Evaluate(samples);
        Assert.Equal((0.0, 0.0, 0.0, 1.0), (r.Apcer, r.Bpcer, r.Eer, r.Auc));
    }

    [Fact]
    public void All_uncertain_gives_no_rates_rather_than_made_up_ones()
    {
        var r = LivenessEvaluation.Evaluate([new(true, LivenessOutcome.Uncertain, 0.5), new(false, LivenessOutcome.Uncertain, 0.5)]);
        Assert.True(double.IsNaN(r.Apcer) && double.IsNaN(r.Bpcer) && double.IsNaN(r.Eer));
    }
}

public class PercentilesTests
{
    [Fact]
    public void Percentiles_interpolate_between_ranks_like_numpy()
    {
        double[] v = [4, 1, 3, 2, 5];
        Assert.Equal(3.0, Percentiles.Of(v, 50), 12);
        Assert.Equal(4.8, Percentiles.Of(v, 95), 12);
        Assert.Equal(1.0, Percentiles.Of(v, 0), 12);
        Assert.Equal(5.0, Percentiles.Of(v, 100), 12);
    }
}
