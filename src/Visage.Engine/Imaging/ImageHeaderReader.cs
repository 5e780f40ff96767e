using System.Buffers.Binary;

namespace Visage.Engine.Imaging;

/// <summary>Format, size and EXIF orientation from the first bytes of a file, without decoding pixels, so the
/// pixel budget is enforced before any native decoder allocates.</summary>
internal static class ImageHeaderReader
{
    static ReadOnlySpan<byte> JpegMagic => [0xFF, 0xD8, 0xFF];
    static ReadOnlySpan<byte> PngMagic => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    static ReadOnlySpan<byte> Riff => "RIFF"u8;
    static ReadOnlySpan<byte> Webp => "WEBP"u8;

    public static ImageHeader Read(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) throw new ImageException(ImageErrorKind.Empty, "the image is empty (0 bytes)");
        if (StartsWithOrIsPrefixOf(data, JpegMagic)) return ReadJpeg(data, out _);
        if (StartsWithOrIsPrefixOf(data, PngMagic)) return ReadPng(data);
        if (StartsWithOrIsPrefixOf(data, Riff) && (data.Length < 12 || data.Slice(8, 4).SequenceEqual(Webp)))
            return ReadWebp(data);
        throw new ImageException(ImageErrorKind.Unsupported, "not a JPEG, PNG or WebP image");
    }

    /// <summary>The file length the RIFF header of a WebP declares.</summary>
    public static long WebpDeclaredLength(ReadOnlySpan<byte> data) => 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);

    // A file shorter than its signature that matches as far as it goes is a cut-short image, not an unknown format.
    static bool StartsWithOrIsPrefixOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> magic) =>
        data.Length >= magic.Length ? data.StartsWith(magic) : magic.StartsWith(data);

    static ImageException Truncated(string format) =>
        new(ImageErrorKind.Truncated, $"{format} data ends before the image size is known");

    static ImageException Corrupt(string format, string why) => new(ImageErrorKind.Corrupt, $"{format} header is corrupt: {why}");

    /// <summary>Walks the segments up to the first scan (SOS): the frame header gives the size, the first Exif
    /// block the orientation, and a file that stops before its first scan is reported as cut short here rather
    /// than as whatever libjpeg makes of the missing tables.</summary>
    static ImageHeader ReadJpeg(ReadOnlySpan<byte> data, out int strayBytesMarker)
    {
        int orientation = 1, width = 0, height = 0;
        strayBytesMarker = -1;
        bool exifSeen = false;
        int pos = 2;
        while (true)
        {
            // Like libjpeg, skip stray bytes up to the next marker: some writers leave a few between segments.
            int stray = pos;
            while (pos < data.Length && data[pos] != 0xFF) pos++;
            stray = pos - stray;
            while (pos < data.Length && data[pos] == 0xFF) pos++;   // fill bytes
            if (pos >= data.Length) throw Truncated("JPEG");
            byte marker = data[pos++];
            if (stray > 0 && strayBytesMarker < 0) strayBytesMarker = marker;
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue;   // markers without a length
            if (marker is 0xD8 or 0xD9 or 0x00) throw Corrupt("JPEG", $"marker 0x{marker:X2} before the first scan");
            if (pos + 2 > data.Length) throw Truncated("JPEG");
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2) throw Corrupt("JPEG", $"segment length {length} at byte {pos}");
            int end = pos + length;
            if (end > data.Length) throw Truncated("JPEG");

            if (marker == 0xDA)   // SOS: the entropy-coded data follows
                return width > 0 ? new ImageHeader(ImageFormat.Jpeg, width, height, orientation)
                                 : throw Corrupt("JPEG", "scan before the frame header");
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC) && width == 0)   // SOFn
            {
                if (length < 8) throw Corrupt("JPEG", "frame header too short");
                if (marker is 0xC3 or 0xC7 or 0xCB or 0xCF)
                    throw new ImageException(ImageErrorKind.Unsupported, "lossless JPEG is not supported");
                int precision = data[pos + 2];
                if (precision != 8)
                    throw new ImageException(ImageErrorKind.Unsupported, $"{precision}-bit JPEG is not supported (only 8-bit)");
                height = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 3)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 5)..]);
                if (width == 0 || height == 0) throw Corrupt("JPEG", $"frame size {width}x{height}");
            }
            else if (marker == 0xE1 && !exifSeen && data[(pos + 2)..end].StartsWith("Exif\0\0"u8))
            {
                exifSeen = true;   // the first Exif block is the camera's; later ones are editors' leftovers
                orientation = ExifOrientation(data[(pos + 8)..end]);
            }
            pos = end;
        }
    }

    /// <summary>The marker that the first stray bytes between header segments precede, or -1 when the header has none.</summary>
    public static int JpegHeaderStrayBytesMarker(ReadOnlySpan<byte> jpeg)
    {
        try { ReadJpeg(jpeg, out var marker); return marker; }
        catch (ImageException) { return -1; }
    }

    /// <summary>Tag 0x0112 of IFD0 in a TIFF structure, 1 when absent or malformed: broken metadata must not
    /// cost the user an otherwise good photo.</summary>
    internal static int ExifOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 1;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 1;
        if (U16(tiff[2..], little) != 42) return 1;
        uint ifd = U32(tiff[4..], little);
        if (ifd > (uint)tiff.Length - 2) return 1;
        int entries = U16(tiff[(int)ifd..], little);
        for (int i = 0; i < entries; i++)
        {
            long entry = ifd + 2 + 12L * i;
            if (entry + 12 > tiff.Length) return 1;
            var e = tiff.Slice((int)entry, 12);
            if (U16(e, little) != 0x0112) continue;
            int value = U16(e[2..], little) switch
            {
                3 => U16(e[8..], little),            // SHORT, as the standard says
                4 => (int)Math.Min(U32(e[8..], little), 9u),   // LONG, written by a few tools
                _ => 1,
            };
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    static ushort U16(ReadOnlySpan<byte> b, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

    static uint U32(ReadOnlySpan<byte> b, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);

    static ImageHeader ReadPng(ReadOnlySpan<byte> data)
    {
        // signature(8) + chunk length(4) + "IHDR"(4) + width(4) + height(4)
        if (data.Length < 24) throw Truncated("PNG");
        if (!data.Slice(12, 4).SequenceEqual("IHDR"u8)) throw Corrupt("PNG", "the first chunk is not IHDR");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw Corrupt("PNG", $"image size {width}x{height}");
        return new ImageHeader(ImageFormat.Png, (int)width, (int)height, 1);
    }

    static ImageHeader ReadWebp(ReadOnlySpan<byte> data)
    {
        // RIFF(4) size(4) WEBP(4), then the first chunk: fourcc(4) size(4) payload
        if (data.Length < 20) throw Truncated("WebP");
        var chunk = data.Slice(12, 4);
        var payload = data[20..];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            // frame tag(3) start code 9D 01 2A(3) then 14-bit width and height; the top 2 bits are upscaling hints
            if (payload.Length < 10) throw Truncated("WebP");
            if (payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A) throw Corrupt("WebP", "bad VP8 start code");
            return Checked(BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]) & 0x3FFF,
                           BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]) & 0x3FFF);
        }
        if (chunk.SequenceEqual("VP8L"u8))
        {
            // signature 0x2F, then width-1 and height-1 as 14-bit fields, least significant bits first
            if (payload.Length < 5) throw Truncated("WebP");
            if (payload[0] != 0x2F) throw Corrupt("WebP", "bad VP8L signature");
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
            return Checked((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (chunk.SequenceEqual("VP8X"u8))
        {
            // flags(1) reserved(3) canvas width-1 (24 bits) canvas height-1 (24 bits)
            if (payload.Length < 10) throw Truncated("WebP");
            if ((payload[0] & 0x02) != 0) throw new ImageException(ImageErrorKind.Unsupported, "animated WebP is not supported");
            return Checked(U24(payload[4..]) + 1, U24(payload[7..]) + 1);
        }
        throw Corrupt("WebP", "unknown first chunk");

        static int U24(ReadOnlySpan<byte> b) => b[0] | b[1] << 8 | b[2] << 16;

        static ImageHeader Checked(int width, int height) =>
            width > 0 && height > 0 ? new ImageHeader(ImageFormat.Webp, width, height, 1) : throw Corrupt("WebP", $"image size {width}x{height}");
    }
}
