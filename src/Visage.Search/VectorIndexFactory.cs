namespace Visage.Search;

/// <summary>Picks the index for a collection.</summary>
public static class VectorIndexFactory
{
    /// <summary>The size from which vectors are quantised. Below it an exact float32 scan reads at most
    /// ~100 MB per query and float32 costs at most ~100 MB of memory, so exactness is cheap.</summary>
    public const int QuantizedFrom = 50_000;

    /// <summary>For a collection whose size is not known in advance (the service's case): exact float32
    /// until it holds <see cref="QuantizedFrom"/> vectors, then quantised in place, once, under the write
    /// lock — so a collection that grows while serving changes representation by itself.</summary>
    public static IVectorIndex Create(int dimension) =>
        new QuantizedIndex(dimension, new QuantizedIndexOptions { TrainingCount = QuantizedFrom });

    /// <summary>For a collection of known size: the exact index below <see cref="QuantizedFrom"/>.</summary>
    public static IVectorIndex Create(int dimension, int expectedCount) =>
        expectedCount >= QuantizedFrom ? Create(dimension) : new ExactIndex(dimension);
}
