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
        var random = new Random(dimension);
        int rowBytes = TwoBitScan.RowBytes(dimension);
        var codes = new byte[rows * rowBytes];
        random.NextBytes(codes);
        var weights = new sbyte[4 * rowBytes];
        for (int i = 0; i < dimension; i++) weights[i] = (sbyte)random.Next(-127, 128);
        var scores = new int[rows];
        TwoBitScan.Scores(codes, rowBytes, weights, scores);
        for (int r = 0; r < rows; r++)
        {
            int expected = 0;
            for (int d = 0; d < 4 * rowBytes; d++)
            {
                int part = d / rowBytes, j = d % rowBytes;
                expected += weights[d] * ((codes[r * rowBytes + j] >> (2 * part)) & 3);
            }
            Assert.Equal(expected, scores[r]);
        }
    }
}
