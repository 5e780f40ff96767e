using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Visage.Search;

/// <summary>Per-dimension scalar quantisation learnt from a sample of the collection, at two precisions:
/// a coarse 2-bit code (uniform, step ≈ σ, centred on the dimension's mean — within 1% of the optimal
/// 4-level quantiser for a Gaussian) that is scanned for every query, and a fine 12-bit code (a byte plus
/// a nibble, over the observed range with a margin) used to re-rank the few hundred best candidates.
/// 12 bits put the similarity within ~1e-4 of float32, so re-ranking is exact for practical purposes while
/// the 1M x 512 collection needs 128 + 512 + 256 MB instead of 2 GB of float32.</summary>
internal sealed class ScalarQuantizer
{
    public const int FineMax = 4095;
    private const float CoarseStepInSigmas = 0.9957f;
    private const float RangeMargin = 0.1f;

    private readonly float[] _coarseMean, _coarseStep, _coarseInvStep;
    private readonly float[] _fineLow, _fineStep, _fineInvStep;

    private ScalarQuantizer(int dimension)
    {
        Dimension = dimension;
        ScanRowBytes = TwoBitScan.RowBytes(dimension);
        NibbleRowBytes = (dimension + 1) / 2;
        _coarseMean = new float[dimension]; _coarseStep = new float[dimension]; _coarseInvStep = new float[dimension];
        _fineLow = new float[dimension]; _fineStep = new float[dimension]; _fineInvStep = new float[dimension];
    }

    public int Dimension { get; }
    public int ScanRowBytes { get; }
    public int NibbleRowBytes { get; }
    public int ScanWeightCount => 4 * ScanRowBytes;

    public static ScalarQuantizer Train(ChunkedSlots<float> vectors, int count)
    {
        int dimension = vectors.Width;
        var q = new ScalarQuantizer(dimension);
        var sum = new double[dimension];
        var sumSquares = new double[dimension];
        var min = new float[dimension];
        var max = new float[dimension];
        min.AsSpan().Fill(float.PositiveInfinity);
        max.AsSpan().Fill(float.NegativeInfinity);
        for (int slot = 0; slot < count; slot++)
        {
            ReadOnlySpan<float> v = vectors.Row(slot);
            for (int d = 0; d < dimension; d++)
            {
                float x = v[d];
                sum[d] += x; sumSquares[d] += (double)x * x;
                if (x < min[d]) min[d] = x;
                if (x > max[d]) max[d] = x;
            }
        }
        for (int d = 0; d < dimension; d++)
        {
            double mean = sum[d] / count;
            double sigma = Math.Sqrt(Math.Max(sumSquares[d] / count - mean * mean, 0));
            float step = (float)Math.Max(sigma * CoarseStepInSigmas, 1e-4);
            q._coarseMean[d] = (float)mean;
            q._coarseStep[d] = step;
            q._coarseInvStep[d] = 1f / step;
            // A margin past the sample's range keeps later vectors (new identities) inside it; components of
            // unit vectors never leave [-1, 1], so the range never needs to exceed that.
            float span = Math.Max(max[d] - min[d], 1e-3f);
            float low = Math.Max(-1f, min[d] - RangeMargin * span);
            float high = Math.Min(1f, max[d] + RangeMargin * span);
            q._fineLow[d] = low;
            q._fineStep[d] = (high - low) / FineMax;
            q._fineInvStep[d] = FineMax / (high - low);
        }
        return q;
    }

    /// <summary>Writes the codes of a unit vector; false when a component fell outside the trained range and
    /// was clamped, in which case the caller keeps the float vector aside to stay exact.</summary>
    public bool Encode(ReadOnlySpan<float> unit, Span<byte> scanRow, Span<byte> fineRow, Span<byte> nibbleRow)
    {
        float[] rented = ArrayPool<float>.Shared.Rent(2 * Dimension);
        try
        {
            // Whole-vector SIMD passes first, then one cheap integer packing loop (start-up loads encode 1M).
            var coarse = rented.AsSpan(0, Dimension);
            TensorPrimitives.Subtract(unit, _coarseMean, coarse);
            TensorPrimitives.Multiply(coarse, _coarseInvStep, coarse);
            TensorPrimitives.Floor(coarse, coarse);
            TensorPrimitives.Clamp(coarse, -2f, 1f, coarse);

            var fine = rented.AsSpan(Dimension, Dimension);
            TensorPrimitives.Subtract(unit, _fineLow, fine);
            TensorPrimitives.Multiply(fine, _fineInvStep, fine);
            TensorPrimitives.Round(fine, fine);
            bool inRange = TensorPrimitives.Min(fine) >= 0f && TensorPrimitives.Max(fine) <= FineMax;
            if (!inRange) TensorPrimitives.Clamp(fine, 0f, FineMax, fine);

            PackCoarse(coarse, scanRow);
            int half = NibbleRowBytes;
            for (int d = 0; d < Dimension; d++) fineRow[d] = (byte)((int)fine[d] >> 4);
            for (int j = 0; j < half; j++)
            {
                int low = (int)fine[j] & 15;
                int high = j + half < Dimension ? (int)fine[j + half] & 15 : 0;
                nibbleRow[j] = (byte)(low | (high << 4));
            }
            return inRange;
        }
        finally { ArrayPool<float>.Shared.Return(rented); }
    }

    /// <summary>Coarse values are −2..1 (offset from the mean in steps); the code stored is that plus 2.</summary>
    private void PackCoarse(ReadOnlySpan<float> coarse, Span<byte> scanRow)
    {
        int rowBytes = ScanRowBytes;
        for (int j = 0; j < rowBytes; j++)
        {
            int packed = 0;
            for (int part = 0, d = j; part < 4; part++, d += rowBytes)
                if (d < Dimension) packed |= ((int)coarse[d] + 2) << (2 * part);
            scanRow[j] = (byte)packed;
        }
    }

    /// <summary>Int8 weights for <see cref="TwoBitScan"/>: the coarse score Σ q·(mean + (c − 1.5)·step) is, up to
    /// a constant, Σ (q·step)·c, so the weights are q·step scaled to the int8 range.</summary>
    public void PrepareScan(ReadOnlySpan<float> unitQuery, Span<sbyte> weights)
    {
        weights.Clear();
        float[] scaled = ArrayPool<float>.Shared.Rent(Dimension);
        try
        {
            var w = scaled.AsSpan(0, Dimension);
            TensorPrimitives.Multiply(unitQuery, _coarseStep, w);
            // MaxMagnitude returns the signed element, hence the Abs.
            float largest = MathF.Abs(TensorPrimitives.MaxMagnitude(w));
            float scale = largest > 0 ? 127f / largest : 0f;
            for (int d = 0; d < Dimension; d++) weights[d] = (sbyte)MathF.Round(w[d] * scale);
        }
        finally { ArrayPool<float>.Shared.Return(scaled); }
    }

    /// <summary>Similarity from fine codes is offset + Σ weight·u with u the 12-bit code; returns the offset.</summary>
    public float PrepareFine(ReadOnlySpan<float> unitQuery, Span<float> weights)
    {
        TensorPrimitives.Multiply(unitQuery, _fineStep, weights);
        return TensorPrimitives.Dot(unitQuery, _fineLow);
    }

    public float FineSimilarity(ReadOnlySpan<float> weights, float offset, ReadOnlySpan<byte> fineRow, ReadOnlySpan<byte> nibbleRow, Span<float> scratch)
    {
        int half = NibbleRowBytes;
        Decode(fineRow[..half], nibbleRow, highNibbles: false, scratch);
        Decode(fineRow[half..Dimension], nibbleRow, highNibbles: true, scratch[half..]);
        return offset + TensorPrimitives.Dot(weights, scratch[..Dimension]);
    }

    /// <summary>12-bit codes (byte·16 + nibble) as floats, 32 at a time: re-ranking 1,000 candidates a query is
    /// otherwise a scalar loop of 512 conversions each, as costly as the 2-bit scan of 100,000 vectors.
    /// The values are exact integers, so the SIMD and scalar paths give the same floats.</summary>
    private static void Decode(ReadOnlySpan<byte> fine, ReadOnlySpan<byte> nibbles, bool highNibbles, Span<float> codes)
    {
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var low = Vector256.Create((byte)15);
            for (; d + Vector256<byte>.Count <= fine.Length; d += Vector256<byte>.Count)
            {
                var n = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(nibbles), (nuint)d);
                n = highNibbles ? Vector256.ShiftRightLogical(n, 4) : n & low;
                var f = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(fine), (nuint)d);
                var (f0, f1) = Vector256.Widen(f);
                var (n0, n1) = Vector256.Widen(n);
                Store(Vector256.ShiftLeft(f0, 4) | n0, codes[d..]);
                Store(Vector256.ShiftLeft(f1, 4) | n1, codes[(d + 16)..]);
            }
        }
        for (; d < fine.Length; d++) codes[d] = fine[d] * 16 + (highNibbles ? nibbles[d] >> 4 : nibbles[d] & 15);

        static void Store(Vector256<ushort> values, Span<float> destination)
        {
            var (a, b) = Vector256.Widen(values);
            Vector256.ConvertToSingle(a.AsInt32()).StoreUnsafe(ref MemoryMarshal.GetReference(destination));
            Vector256.ConvertToSingle(b.AsInt32()).StoreUnsafe(ref MemoryMarshal.GetReference(destination), 8);
        }
    }
}
