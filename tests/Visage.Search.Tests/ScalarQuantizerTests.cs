using System.Numerics.Tensors;
using Visage.Search.Synthetic;
using Xunit;

namespace Visage.Search.Tests;

public sealed class ScalarQuantizerTests
{
    [Theory]
    [InlineData(80)]  // 40 nibble bytes: one SIMD step of 32 and a scalar tail in each half
    [InlineData(512)]
    [InlineData(129)] // odd: the last nibble byte holds one code
    public void Fine_codes_decode_to_the_plain_byte_times_16_plus_nibble(int dimension)
    {
        var data = SyntheticVectors.Clustered(600, dimension, seed: dimension);
        var slots = new ChunkedSlots<float>(dimension);
        slots.EnsureCapacity(600);
        for (int i = 0; i < 600; i++) data.AsSpan(i * dimension, dimension).CopyTo(slots.Row(i));
        var q = ScalarQuantizer.Train(slots, 500);
        var scan = new byte[q.ScanRowBytes];
        var fine = new byte[dimension];
        var nibbles = new byte[q.NibbleRowBytes];
        var weights = new float[dimension];
        var scratch = new float[dimension];
        var plain = new float[dimension];
        for (int row = 500; row < 600; row++)
        {
            q.Encode(slots.Row(row), scan, fine, nibbles);
            float offset = q.PrepareFine(slots.Row(row - 1), weights);
            int half = q.NibbleRowBytes;
            for (int d = 0; d < dimension; d++) plain[d] = fine[d] * 16 + (d < half ? nibbles[d] & 15 : nibbles[d - half] >> 4);
            Assert.Equal(offset + TensorPrimitives.Dot(weights, plain), q.FineSimilarity(weights, offset, fine, nibbles, scratch));
        }
    }
}
