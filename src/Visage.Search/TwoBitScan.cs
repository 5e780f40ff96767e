using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Visage.Search;

/// <summary>The hot loop of <see cref="QuantizedIndex"/>: integer scores Σ weight[d]·code[d] of rows of
/// 2-bit codes against int8 query weights. A row of W bytes packs 4·W dimensions; bits 2p..2p+1 of byte j
/// hold dimension p·W + j, so one 32-byte load yields 4 blocks of 32 consecutive dimensions after a shift
/// and a mask, and each block meets 32 consecutive query weights. 2 bits per dimension keeps a 1M x 512
/// scan at 128 MB of memory traffic, which is what bounds the query time on one core.</summary>
internal static class TwoBitScan
{
    public const int BlockBytes = 32;

    /// <summary>Bytes per row for <paramref name="dimension"/> dimensions (padded to whole 32-byte blocks).</summary>
    public static int RowBytes(int dimension) => (dimension + 4 * BlockBytes - 1) / (4 * BlockBytes) * BlockBytes;

    /// <summary>Weights are laid out by dimension and padded to 4·rowBytes with zeros.</summary>
    public static void Scores(ReadOnlySpan<byte> rows, int rowBytes, ReadOnlySpan<sbyte> weights, Span<int> scores)
    {
        int count = rows.Length / rowBytes;
        if (weights.Length != 4 * rowBytes || scores.Length < count) throw new ArgumentException("Mismatched scan buffers.");
        int done = Avx2.IsSupported ? ScoresAvx2(rows, rowBytes, weights, scores, count) : 0;
        for (int r = done; r < count; r++) scores[r] = ScoreScalar(rows.Slice(r * rowBytes, rowBytes), rowBytes, weights);
    }

    /// <summary>Queries scored together by the batched kernel: each 32-byte block of codes is unpacked once and
    /// meets four queries' weights (4 accumulators + 4 unpacked code vectors + constants fit the 16 ymm registers).</summary>
    public const int QueriesPerStep = 4;

    /// <summary>Scores of every row against <paramref name="queryCount"/> queries (a multiple of
    /// <see cref="QueriesPerStep"/>; pad with zero weights), weights laid out query after query, each as for
    /// <see cref="Scores"/>; the score of row r for query q lands in scores[r·queryCount + q]. Integer sums, so
    /// each equals what <see cref="Scores"/> gives for that query alone.</summary>
    public static void ScoresBatch(ReadOnlySpan<byte> rows, int rowBytes, ReadOnlySpan<sbyte> weights, int queryCount, Span<int> scores)
    {
        int count = rows.Length / rowBytes;
        int weightCount = 4 * rowBytes;
        if (queryCount <= 0 || queryCount % QueriesPerStep != 0 || weights.Length != queryCount * weightCount || scores.Length < count * queryCount)
            throw new ArgumentException("Mismatched scan buffers.");
        if (Avx2.IsSupported)
        {
            for (int q = 0; q < queryCount; q += QueriesPerStep)
                ScoresBatchAvx2(rows, rowBytes, weights.Slice(q * weightCount, QueriesPerStep * weightCount), scores[q..], queryCount, count);
            return;
        }
        for (int r = 0; r < count; r++)
            for (int q = 0; q < queryCount; q++)
                scores[r * queryCount + q] = ScoreScalar(rows.Slice(r * rowBytes, rowBytes), rowBytes, weights.Slice(q * weightCount, weightCount));
    }

    private static int ScoreScalar(ReadOnlySpan<byte> row, int rowBytes, ReadOnlySpan<sbyte> weights)
    {
        int sum = 0;
        for (int j = 0; j < rowBytes; j++)
        {
            int b = row[j];
            sum += weights[j] * (b & 3) + weights[rowBytes + j] * ((b >> 2) & 3)
                 + weights[2 * rowBytes + j] * ((b >> 4) & 3) + weights[3 * rowBytes + j] * (b >> 6);
        }
        return sum;
    }

    /// <summary>Four rows per step so each weight load and the horizontal reduction are shared.
    /// Products are summed in 16-bit lanes: |3·127·2| per pmaddubsw lane, at most 4·<see cref="FlushBlocks"/>
    /// of them before widening, stays far below 32767.</summary>
    private const int FlushBlocks = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ScoresAvx2(ReadOnlySpan<byte> rows, int rowBytes, ReadOnlySpan<sbyte> weights, Span<int> scores, int count)
    {
        ref byte row0 = ref MemoryMarshal.GetReference(rows);
        ref sbyte w0 = ref MemoryMarshal.GetReference(weights);
        var mask = Vector256.Create((byte)3);
        var ones = Vector256.Create((short)1);
        int r = 0;
        for (; r + 4 <= count; r += 4)
        {
            ref byte a = ref Unsafe.Add(ref row0, r * rowBytes);
            ref byte b = ref Unsafe.Add(ref a, rowBytes);
            ref byte c = ref Unsafe.Add(ref b, rowBytes);
            ref byte d = ref Unsafe.Add(ref c, rowBytes);
            Vector256<int> sa = default, sb = default, sc = default, sd = default;
            for (int start = 0; start < rowBytes; start += FlushBlocks * BlockBytes)
            {
                Vector256<short> ta = default, tb = default, tc = default, td = default;
                int end = Math.Min(rowBytes, start + FlushBlocks * BlockBytes);
                for (int j = start; j < end; j += BlockBytes)
                {
                    var q0 = Vector256.LoadUnsafe(ref w0, (nuint)j).AsByte();
                    var q1 = Vector256.LoadUnsafe(ref w0, (nuint)(rowBytes + j)).AsByte();
                    var q2 = Vector256.LoadUnsafe(ref w0, (nuint)(2 * rowBytes + j)).AsByte();
                    var q3 = Vector256.LoadUnsafe(ref w0, (nuint)(3 * rowBytes + j)).AsByte();
                    ta += Block(Vector256.LoadUnsafe(ref a, (nuint)j), q0, q1, q2, q3, mask);
                    tb += Block(Vector256.LoadUnsafe(ref b, (nuint)j), q0, q1, q2, q3, mask);
                    tc += Block(Vector256.LoadUnsafe(ref c, (nuint)j), q0, q1, q2, q3, mask);
                    td += Block(Vector256.LoadUnsafe(ref d, (nuint)j), q0, q1, q2, q3, mask);
                }
                sa += Avx2.MultiplyAddAdjacent(ta, ones);
                sb += Avx2.MultiplyAddAdjacent(tb, ones);
                sc += Avx2.MultiplyAddAdjacent(tc, ones);
                sd += Avx2.MultiplyAddAdjacent(td, ones);
            }
            Sums(sa, sb, sc, sd).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)r);
        }
        return r;
    }

    /// <summary>One row against four queries per step; the same 16-bit accumulation bound as
    /// <see cref="ScoresAvx2"/>, and the same pairwise reduction, here across queries instead of rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoresBatchAvx2(ReadOnlySpan<byte> rows, int rowBytes, ReadOnlySpan<sbyte> weights, Span<int> scores, int scoreStride, int count)
    {
        ref byte row0 = ref MemoryMarshal.GetReference(rows);
        ref sbyte wa = ref MemoryMarshal.GetReference(weights);
        ref sbyte wb = ref Unsafe.Add(ref wa, 4 * rowBytes);
        ref sbyte wc = ref Unsafe.Add(ref wb, 4 * rowBytes);
        ref sbyte wd = ref Unsafe.Add(ref wc, 4 * rowBytes);
        ref int out0 = ref MemoryMarshal.GetReference(scores);
        var mask = Vector256.Create((byte)3);
        var ones = Vector256.Create((short)1);
        for (int r = 0; r < count; r++)
        {
            ref byte row = ref Unsafe.Add(ref row0, r * rowBytes);
            Vector256<int> sa = default, sb = default, sc = default, sd = default;
            for (int start = 0; start < rowBytes; start += FlushBlocks * BlockBytes)
            {
                Vector256<short> ta = default, tb = default, tc = default, td = default;
                int end = Math.Min(rowBytes, start + FlushBlocks * BlockBytes);
                for (int j = start; j < end; j += BlockBytes)
                {
                    Unpack(Vector256.LoadUnsafe(ref row, (nuint)j), mask, out var c0, out var c1, out var c2, out var c3);
                    ta += Products(c0, c1, c2, c3, Weights(ref wa, j, rowBytes, 0), Weights(ref wa, j, rowBytes, 1), Weights(ref wa, j, rowBytes, 2), Weights(ref wa, j, rowBytes, 3));
                    tb += Products(c0, c1, c2, c3, Weights(ref wb, j, rowBytes, 0), Weights(ref wb, j, rowBytes, 1), Weights(ref wb, j, rowBytes, 2), Weights(ref wb, j, rowBytes, 3));
                    tc += Products(c0, c1, c2, c3, Weights(ref wc, j, rowBytes, 0), Weights(ref wc, j, rowBytes, 1), Weights(ref wc, j, rowBytes, 2), Weights(ref wc, j, rowBytes, 3));
                    td += Products(c0, c1, c2, c3, Weights(ref wd, j, rowBytes, 0), Weights(ref wd, j, rowBytes, 1), Weights(ref wd, j, rowBytes, 2), Weights(ref wd, j, rowBytes, 3));
                }
                sa += Avx2.MultiplyAddAdjacent(ta, ones);
                sb += Avx2.MultiplyAddAdjacent(tb, ones);
                sc += Avx2.MultiplyAddAdjacent(tc, ones);
                sd += Avx2.MultiplyAddAdjacent(td, ones);
            }
            Sums(sa, sb, sc, sd).StoreUnsafe(ref out0, (nuint)(r * scoreStride));
        }
    }

    /// <summary>Four 8-lane sums reduced to four scalars with two rounds of pairwise adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Sums(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d)
    {
        var abcd = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a, b), Avx2.HorizontalAdd(c, d));
        return abcd.GetLower() + abcd.GetUpper();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Weights(ref sbyte weights, int j, int rowBytes, int part) =>
        Vector256.LoadUnsafe(ref weights, (nuint)(part * rowBytes + j));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Block(Vector256<byte> codes, Vector256<byte> q0, Vector256<byte> q1,
        Vector256<byte> q2, Vector256<byte> q3, Vector256<byte> mask)
    {
        Unpack(codes, mask, out var c0, out var c1, out var c2, out var c3);
        return Products(c0, c1, c2, c3, q0.AsSByte(), q1.AsSByte(), q2.AsSByte(), q3.AsSByte());
    }

    /// <summary>Splits 32 bytes of packed codes into the four blocks of 32 dimensions they hold (values 0..3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(Vector256<byte> codes, Vector256<byte> mask,
        out Vector256<byte> c0, out Vector256<byte> c1, out Vector256<byte> c2, out Vector256<byte> c3)
    {
        var packed = codes.AsUInt16();
        c0 = codes & mask;
        c1 = Avx2.ShiftRightLogical(packed, 2).AsByte() & mask;
        c2 = Avx2.ShiftRightLogical(packed, 4).AsByte() & mask;
        c3 = Avx2.ShiftRightLogical(packed, 6).AsByte() & mask;
    }

    /// <summary>pmaddubsw takes unsigned bytes first (the codes 0..3) and signed second (the weights).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Products(Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> c2, Vector256<byte> c3,
        Vector256<sbyte> q0, Vector256<sbyte> q1, Vector256<sbyte> q2, Vector256<sbyte> q3)
    {
        var p0 = Avx2.MultiplyAddAdjacent(c0, q0);
        var p1 = Avx2.MultiplyAddAdjacent(c1, q1);
        var p2 = Avx2.MultiplyAddAdjacent(c2, q2);
        var p3 = Avx2.MultiplyAddAdjacent(c3, q3);
        return (p0 + p1) + (p2 + p3);
    }
}
