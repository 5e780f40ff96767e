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
    /// <param name="interlaced">Adam7, for byte-aligned pixels (bit depth 8 or 16).</param>
    public static byte[] Write(int width, int height, byte colorType, byte bitDepth, byte[] rows,
        byte[]? palette = null, byte[]? transparency = null, bool srgb = false, bool interlaced = false)
    {
        int rowBytes = rows.Length / height;
        var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);

        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = bitDepth; ihdr[9] = colorType; ihdr[12] = (byte)(interlaced ? 1 : 0);   // compression, filter: 0
        Chunk(output, "IHDR", ihdr);
        if (srgb) Chunk(output, "sRGB", [0]);
        if (palette != null) Chunk(output, "PLTE", palette);
        if (transparency != null) Chunk(output, "tRNS", transparency);

        var raw = new MemoryStream();
        if (interlaced)
            WriteAdam7(raw, width, height, rowBytes / width, rows);
        else
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

    // The seven passes of Adam7: (first column, first row, column step, row step).
    static readonly (int X, int Y, int Dx, int Dy)[] Passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    static void WriteAdam7(Stream raw, int width, int height, int pixelBytes, byte[] rows)
    {
        foreach (var (x0, y0, dx, dy) in Passes)
        {
            if (x0 >= width || y0 >= height) continue;   // empty passes have no rows at all
            for (int y = y0; y < height; y += dy)
            {
                raw.WriteByte(0);
                for (int x = x0; x < width; x += dx)
                    raw.Write(rows, (y * width + x) * pixelBytes, pixelBytes);
            }
        }
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
