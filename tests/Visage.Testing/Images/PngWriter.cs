using System.Buffers.Binary;
using System.IO.Compression;

namespace Visage.Testing.Images;

/// <summary>Writes PNG files of any colour type and bit depth libpng's simplified writer cannot produce (alpha,
/// palette, 16-bit, grey with alpha), to check the decoder's conversions. Rows are stored unfiltered.</summary>
public static class PngWriter
{
    public const byte Grey = 0, Rgb = 2, Palette = 3, GreyAlpha = 4, Rgba = 6;

    /// <param name="rows">Packed samples, row after row, without filter bytes (16-bit samples big-endian).</param>
    /// <param name="palette">RGB triplets for <see cref="Palette"/>.</param>
    /// <param name="transparency">The tRNS chunk's content: alpha per palette entry.</param>
    /// <param name="srgb">Adds an sRGB chunk, which tells libpng how to read 16-bit samples.</param>
    public static byte[] Write(int width, int height, byte colorType, byte bitDepth, byte[] rows,
        byte[]? palette = null, byte[]? transparency = null, bool srgb = false)
    {
        int rowBytes = rows.Length / height;
        var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);

        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = bitDepth; ihdr[9] = colorType;   // compression, filter, interlace: 0
        Chunk(output, "IHDR", ihdr);
        if (srgb) Chunk(output, "sRGB", [0]);
        if (palette != null) Chunk(output, "PLTE", palette);
        if (transparency != null) Chunk(output, "tRNS", transparency);

        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);   // filter type None
            raw.Write(rows, y * rowBytes, rowBytes);
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(z);
        Chunk(output, "IDAT", compressed.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    static void Chunk(Stream output, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        output.Write(header);
        output.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, PngCrc.Of([.. header.AsSpan(4), .. data]));
        output.Write(crc);
    }
}
