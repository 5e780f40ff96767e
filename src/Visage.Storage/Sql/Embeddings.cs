using System.Buffers;
using System.Buffers.Binary;
using System.Data.Common;
using System.Runtime.InteropServices;

namespace Visage.Storage.Sql;

/// <summary>Embeddings on disk are little-endian float32 BLOBs, the same bytes in both stores, so a database
/// can be moved between machines and read back without parsing.</summary>
static class Embeddings
{
    public static byte[] ToBytes(ReadOnlySpan<float> embedding)
    {
        var bytes = new byte[embedding.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(embedding).CopyTo(bytes);
        else
            for (int i = 0; i < embedding.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), embedding[i]);
        return bytes;
    }

    public static float[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
            throw new InvalidDataException($"embedding blob of {bytes.Length} bytes is not a whole number of float32");
        var embedding = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian)
            bytes.CopyTo(MemoryMarshal.AsBytes(embedding.AsSpan()));
        else
            for (int i = 0; i < embedding.Length; i++)
                embedding[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        return embedding;
    }

    /// <summary>Reads a BLOB column through a pooled buffer: one allocation per row (the float[] the caller
    /// keeps) instead of two, which matters when a million references stream in at start.</summary>
    public static float[] Read(DbDataReader reader, int ordinal)
    {
        int length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int read = 0;
            while (read < length)
            {
                int n = (int)reader.GetBytes(ordinal, read, buffer, read, length - read);
                if (n == 0) break;
                read += n;
            }
            return FromBytes(buffer.AsSpan(0, read));
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }
}
