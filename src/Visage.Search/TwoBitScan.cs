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
            // Reduce four 8-lane sums to four scalars with two rounds of pairwise adds.
            var ab = Avx2.HorizontalAdd(sa, sb);
            var cd = Avx2.HorizontalAdd(sc, sd);
            var abcd = Avx2.HorizontalAdd(ab, cd);
            (abcd.GetLower() + abcd.GetUpper()).StoreUnsafe(ref MemoryMarshal.GetReference(scores), (nuint)r);
        }
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Block(Vector256<byte> codes, Vector256<byte> q0, Vector256<byte> q1,
        Vector256<byte> q2, Vector256<byte> q3, Vector256<byte> mask)
    {
        // pmaddubsw takes unsigned bytes first (the codes 0..3) and signed second (the weights).
        var packed = codes.AsUInt16();
        var p0 = Avx2.MultiplyAddAdjacent(codes & mask, q0.AsSByte());
        var p1 = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(packed, 2).AsByte() & mask, q1.AsSByte());
        var p2 = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(packed, 4).AsByte() & mask, q2.AsSByte());
        var p3 = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(packed, 6).AsByte() & mask, q3.AsSByte());
        return (p0 + p1) + (p2 + p3);
    }
}
