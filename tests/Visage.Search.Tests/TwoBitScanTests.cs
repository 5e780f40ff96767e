using Xunit;

namespace Visage.Search.Tests;

public sealed class TwoBitScanTests
{
    [Theory]
    [InlineData(64, 7)]
    [InlineData(512, 1001)]
    [InlineData(640, 13)]
    public void Simd_scores_equal_the_plain_definition(int dimension, int rows)
    {
        var (codes, rowBytes) = RandomCodes(dimension, rows);
        var weights = RandomWeights(dimension, rowBytes, 1, new Random(dimension));
        var scores = new int[rows];
        TwoBitScan.Scores(codes, rowBytes, weights, scores);
        for (int r = 0; r < rows; r++) Assert.Equal(PlainScore(codes, rowBytes, r, weights), scores[r]);
    }

    [Theory]
    [InlineData(64, 7, 4)]
    [InlineData(512, 257, 16)]
    [InlineData(1152, 9, 8)] // more than FlushBlocks blocks per row: the 16-bit sums are widened midway
    public void Batched_scores_equal_the_plain_definition_for_every_query(int dimension, int rows, int queries)
    {
        var (codes, rowBytes) = RandomCodes(dimension, rows);
        var weights = RandomWeights(dimension, rowBytes, queries, new Random(queries));
        var scores = new int[rows * queries];
        TwoBitScan.ScoresBatch(codes, rowBytes, weights, queries, scores);
        int weightCount = 4 * rowBytes;
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < queries; q++)
                Assert.Equal(PlainScore(codes, rowBytes, r, weights.AsSpan(q * weightCount, weightCount)), scores[r * queries + q]);
    }

    [Fact]
    public void Batched_scores_refuse_a_query_count_the_kernel_cannot_step_through()
    {
        var (codes, rowBytes) = RandomCodes(64, 4);
        var scores = new int[4 * 3];
        Assert.Throws<ArgumentException>(() => TwoBitScan.ScoresBatch(codes, rowBytes, new sbyte[3 * 4 * rowBytes], 3, scores));
    }

    static (byte[] Codes, int RowBytes) RandomCodes(int dimension, int rows)
    {
        int rowBytes = TwoBitScan.RowBytes(dimension);
        var codes = new byte[rows * rowBytes];
        new Random(dimension + rows).NextBytes(codes);
        return (codes, rowBytes);
    }

    /// <summary>Extreme weights included (±127), the worst case for the 16-bit partial sums.</summary>
    static sbyte[] RandomWeights(int dimension, int rowBytes, int queries, Random random)
    {
        var weights = new sbyte[queries * 4 * rowBytes];
        for (int q = 0; q < queries; q++)
            for (int i = 0; i < dimension; i++)
                weights[q * 4 * rowBytes + i] = q == 1 ? (sbyte)127 : (sbyte)random.Next(-127, 128);
        return weights;
    }

    static int PlainScore(byte[] codes, int rowBytes, int row, ReadOnlySpan<sbyte> weights)
    {
        int expected = 0;
        for (int d = 0; d < 4 * rowBytes; d++)
        {
            int part = d / rowBytes, j = d % rowBytes;
            expected += weights[d] * ((codes[row * rowBytes + j] >> (2 * part)) & 3);
        }
        return expected;
    }
}
