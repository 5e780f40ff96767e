namespace Visage.Search;

/// <summary>Picks the index for a collection from the number of vectors it is expected to hold.</summary>
public static class VectorIndexFactory
{
    /// <summary>From this size the quantised index is used. Below it the exact scan reads at most
    /// ~100 MB per query (a few ms), and float32 costs at most ~100 MB of memory, so exactness is cheap.</summary>
    public const int QuantizedFrom = 50_000;

    public static IVectorIndex Create(int dimension, int expectedCount) =>
        expectedCount >= QuantizedFrom ? new QuantizedIndex(dimension) : new ExactIndex(dimension);
}
