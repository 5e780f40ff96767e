using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Visage.Search;

/// <summary>Fixed-width rows of <typeparamref name="T"/> stored in large chunks rather than one array:
/// growing never copies existing rows (a 1M x 512 collection would otherwise need a 2x transient copy),
/// and each chunk is a contiguous block the scan kernels stream through.</summary>
internal sealed class ChunkedSlots<T> where T : unmanaged
{
    /// <summary>Rows per chunk; a power of two so slot → (chunk, row) is a shift and a mask.</summary>
    public const int ChunkShift = 13;
    public const int RowsPerChunk = 1 << ChunkShift;
    private const int RowMask = RowsPerChunk - 1;

    private T[][] _chunks = [];

    public ChunkedSlots(int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Width = width;
    }

    public int Width { get; }
    public int ChunkCount => _chunks.Length;
    public int Capacity => _chunks.Length << ChunkShift;
    public long Bytes => (long)Capacity * Width * Unsafe.SizeOf<T>();

    public void EnsureCapacity(int rows)
    {
        int needed = (rows + RowMask) >> ChunkShift;
        if (needed <= _chunks.Length) return;
        var grown = new T[needed][];
        Array.Copy(_chunks, grown, _chunks.Length);
        for (int c = _chunks.Length; c < needed; c++) grown[c] = GC.AllocateUninitializedArray<T>(RowsPerChunk * Width);
        _chunks = grown;
    }

    /// <summary>Drops chunks no longer needed for <paramref name="rows"/> rows, so memory follows deletes.</summary>
    public void TrimTo(int rows)
    {
        int needed = (rows + RowMask) >> ChunkShift;
        // Keep one spare chunk so add/remove around a boundary does not thrash allocations.
        if (needed + 1 >= _chunks.Length) return;
        Array.Resize(ref _chunks, needed + 1);
    }

    public void Clear() => _chunks = [];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Row(int slot) => _chunks[slot >> ChunkShift].AsSpan((slot & RowMask) * Width, Width);

    /// <summary>The rows [0, rowsInChunk) of one chunk, contiguous, for scanning.</summary>
    public ReadOnlySpan<T> Chunk(int chunk, int rowsInChunk) => _chunks[chunk].AsSpan(0, rowsInChunk * Width);

    /// <summary>Hints the CPU to fetch a row's cache lines; a hint only, so an address that moves meanwhile is harmless.</summary>
    public unsafe void Prefetch(int slot)
    {
        if (!Sse.IsSupported) return;
        byte* row = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Row(slot)));
        int bytes = Width * Unsafe.SizeOf<T>();
        for (int offset = 0; offset < bytes; offset += 64) Sse.Prefetch0(row + offset);
    }

    public void Move(int from, int to) => Row(from).CopyTo(Row(to));

    /// <summary>Number of live rows in chunk <paramref name="chunk"/> when <paramref name="count"/> rows are live.</summary>
    public static int RowsIn(int chunk, int count) => Math.Clamp(count - (chunk << ChunkShift), 0, RowsPerChunk);

    public static ref T RowRef(ReadOnlySpan<T> chunk, int row, int width) =>
        ref Unsafe.Add(ref MemoryMarshal.GetReference(chunk), row * width);
}
