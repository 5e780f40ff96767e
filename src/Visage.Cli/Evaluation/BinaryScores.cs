namespace Visage.Cli.Evaluation;

/// <summary>One point of a ROC curve: everything scoring at or above <see cref="Threshold"/> is accepted.</summary>
public readonly record struct RocPoint(double Threshold, double FalseAcceptRate, double TrueAcceptRate);

/// <summary>An error rate together with the threshold that produced it.</summary>
public readonly record struct OperatingPoint(double Threshold, double FalseAcceptRate, double TrueAcceptRate)
{
    public double FalseRejectRate => 1 - TrueAcceptRate;
}

/// <summary>
/// Scores of a two-class test in which a higher score means "positive" (same person, live face) and a
/// sample is accepted when its score is at or above the threshold. The same arithmetic serves face
/// verification (FAR/TAR) and liveness (APCER = spoofs accepted, BPCER = real faces rejected).
/// </summary>
public sealed class BinaryScores
{
    readonly double[] _positives, _negatives; // ascending

    public BinaryScores(IEnumerable<double> positives, IEnumerable<double> negatives)
    {
        _positives = [.. positives];
        _negatives = [.. negatives];
        if (_positives.Length == 0 || _negatives.Length == 0)
            throw new ArgumentException("need at least one positive and one negative score");
        foreach (var s in _positives.Concat(_negatives))
            if (double.IsNaN(s)) throw new ArgumentException("scores must not be NaN");
        Array.Sort(_positives);
        Array.Sort(_negatives);
    }

    public int PositiveCount => _positives.Length;
    public int NegativeCount => _negatives.Length;
    public double MaxNegative => _negatives[^1];
    public double MinPositive => _positives[0];

    public OperatingPoint At(double threshold) =>
        new(threshold, FractionAtOrAbove(_negatives, threshold), FractionAtOrAbove(_positives, threshold));

    /// <summary>The curve from (0,0) to (1,1), one point per distinct score, thresholds descending.</summary>
    public IReadOnlyList<RocPoint> Roc()
    {
        var thresholds = DistinctDescending();
        var points = new List<RocPoint>(thresholds.Count + 1) { new(double.PositiveInfinity, 0, 0) };
        foreach (var t in thresholds)
        {
            var p = At(t);
            points.Add(new RocPoint(t, p.FalseAcceptRate, p.TrueAcceptRate));
        }
        return points;
    }

    /// <summary>Area under the ROC curve (trapezoids, so a tie between classes counts one half).</summary>
    public double Auc()
    {
        var roc = Roc();
        double area = 0;
        for (var i = 1; i < roc.Count; i++)
            area += (roc[i].FalseAcceptRate - roc[i - 1].FalseAcceptRate)
                    * (roc[i].TrueAcceptRate + roc[i - 1].TrueAcceptRate) / 2;
        return area;
    }

    /// <summary>The best true-accept rate whose false-accept rate does not exceed <paramref name="maxFar"/>.
    /// With N negatives the achievable FARs are multiples of 1/N: below 1/N this is the rate at FAR 0.</summary>
    public OperatingPoint TarAtFar(double maxFar)
    {
        var best = At(double.PositiveInfinity);
        foreach (var t in DistinctDescending())
        {
            var p = At(t);
            if (p.FalseAcceptRate > maxFar) break; // FAR only grows as the threshold falls
            best = p;
        }
        return best;
    }

    /// <summary>The threshold where false accepts and false rejects are closest; the EER is their mean there.</summary>
    public (double Eer, OperatingPoint Point) EqualErrorRate()
    {
        var best = At(double.PositiveInfinity);
        var bestGap = Math.Abs(best.FalseRejectRate - best.FalseAcceptRate);
        foreach (var t in DistinctDescending())
        {
            var p = At(t);
            var gap = Math.Abs(p.FalseRejectRate - p.FalseAcceptRate);
            if (gap < bestGap) { best = p; bestGap = gap; }
        }
        return ((best.FalseRejectRate + best.FalseAcceptRate) / 2, best);
    }

    List<double> DistinctDescending()
    {
        var all = new double[_positives.Length + _negatives.Length];
        _positives.CopyTo(all, 0);
        _negatives.CopyTo(all, _positives.Length);
        Array.Sort(all);
        var result = new List<double>(all.Length);
        for (var i = all.Length - 1; i >= 0; i--)
            if (result.Count == 0 || all[i] != result[^1]) result.Add(all[i]);
        return result;
    }

    static double FractionAtOrAbove(double[] ascending, double threshold)
    {
        // first index whose value is >= threshold
        int lo = 0, hi = ascending.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ascending[mid] < threshold) lo = mid + 1; else hi = mid;
        }
        return (double)(ascending.Length - lo) / ascending.Length;
    }
}
