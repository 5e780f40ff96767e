namespace Visage.Cli.Evaluation;

public static class Percentiles
{
    /// <summary>The p-th percentile (0..100) by linear interpolation between closest ranks (NumPy's default).</summary>
    public static double Of(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) throw new ArgumentException("no values");
        if (p is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(p));
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
