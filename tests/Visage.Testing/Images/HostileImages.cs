using System.Buffers.Binary;

namespace Visage.Testing.Images;

/// <summary>Broken and malicious variants of real image files.</summary>
public static class HostileImages
{
    public static byte[] Truncated(byte[] data, int length) => data.AsSpan(0, length).ToArray();

    /// <summary>A copy with <paramref name="flips"/> random bits inverted anywhere in the file.</summary>
    public static byte[] BitFlipped(byte[] data, Random random, int flips)
    {
        var copy = (byte[])data.Clone();
        for (int i = 0; i < flips; i++)
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    /// <summary>The JPEG with its frame header (SOFn) declaring another size; the scan data is unchanged.</summary>
    public static byte[] JpegDeclaring(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        int pos = 2;
        while (pos + 4 <= copy.Length && copy[pos] == 0xFF)
        {
            byte marker = copy[pos + 1];
            int length = BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(pos + 2));
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(pos + 5), checked((ushort)height));
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(pos + 7), checked((ushort)width));
                return copy;
            }
            pos += 2 + length;
        }
        throw new ArgumentException("no SOF marker found", nameof(jpeg));
    }

    /// <summary>The PNG with its IHDR declaring another size, CRC fixed so only the size is a lie.</summary>
    public static byte[] PngDeclaring(byte[] png, uint width, uint height)
    {
        var copy = (byte[])png.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(20), height);
        // The CRC covers the chunk type and data: bytes 12..29, stored big-endian at 29.
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), PngCrc.Of(copy.AsSpan(12, 17)));
        return copy;
    }

    /// <summary>The start of a WebP whose VP8X header declares a <paramref name="width"/> x <paramref name="height"/>
    /// canvas (up to 2^24 per side), optionally animated; there is no image data after it.</summary>
    public static byte[] WebpDeclaring(int width, int height, bool animated = false)
    {
        var data = new byte[30 + 64];
        "RIFF"u8.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)(data.Length - 8));
        "WEBPVP8X"u8.CopyTo(data.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(16), 10);
        data[20] = (byte)(animated ? 0x02 : 0x00);
        WriteU24(data.AsSpan(24), width - 1);
        WriteU24(data.AsSpan(27), height - 1);
        return data;

        static void WriteU24(Span<byte> at, int v) { at[0] = (byte)v; at[1] = (byte)(v >> 8); at[2] = (byte)(v >> 16); }
    }

    /// <summary>A simple-format (VP8 or VP8L) WebP rewrapped in the extended format: a VP8X chunk declaring
    /// <paramref name="width"/> x <paramref name="height"/>, then the original image chunk, as writers that add
    /// metadata produce it.</summary>
    public static byte[] WebpExtended(byte[] simpleWebp, int width, int height)
    {
        var image = simpleWebp.AsSpan(12);   // the VP8/VP8L chunk after RIFF size WEBP
        var data = new byte[12 + 18 + image.Length];
        "RIFF"u8.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), (uint)(data.Length - 8));
        "WEBPVP8X"u8.CopyTo(data.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(16), 10);
        data[24] = (byte)(width - 1); data[25] = (byte)((width - 1) >> 8); data[26] = (byte)((width - 1) >> 16);
        data[27] = (byte)(height - 1); data[28] = (byte)((height - 1) >> 8); data[29] = (byte)((height - 1) >> 16);
        image.CopyTo(data.AsSpan(30));
        return data;
    }
}
