using Xunit;

namespace Visage.Search.Tests;

/// <summary>The reference answer, computed the slow obvious way in double precision.</summary>
internal static class BruteForce
{
    public static Neighbor[] Search(IReadOnlyDictionary<long, float[]> stored, ReadOnlySpan<float> query, int k, float minSimilarity = float.NegativeInfinity)
    {
        double queryNorm = Math.Sqrt(Dot(query, query));
        var all = new List<Neighbor>(stored.Count);
        foreach (var (key, vector) in stored)
        {
            double similarity = Dot(query, vector) / (queryNorm * Math.Sqrt(Dot(vector, vector)));
            if (similarity >= minSimilarity) all.Add(new Neighbor(key, (float)similarity));
        }
        all.Sort((a, b) => a.Similarity != b.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Key.CompareTo(b.Key));
        return all.Take(k).ToArray();
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>Same length, same similarities within float rounding, and where keys differ it is only
    /// between near-equal similarities (a tie broken differently by rounding).</summary>
    public static void AssertAgrees(IReadOnlyList<Neighbor> expected, IReadOnlyList<Neighbor> actual,
        IReadOnlyDictionary<long, float[]> stored, ReadOnlySpan<float> query, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Count, actual.Count);
        double queryNorm = Math.Sqrt(Dot(query, query));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.InRange(actual[i].Similarity, expected[i].Similarity - tolerance, expected[i].Similarity + tolerance);
            if (actual[i].Key == expected[i].Key) continue;
            var v = stored[actual[i].Key];
            double trueSimilarity = Dot(query, v) / (queryNorm * Math.Sqrt(Dot(v, v)));
            Assert.InRange(trueSimilarity, expected[i].Similarity - tolerance, expected[i].Similarity + tolerance);
        }
        Assert.Equal(actual.Count, actual.Select(n => n.Key).Distinct().Count());
    }
}
