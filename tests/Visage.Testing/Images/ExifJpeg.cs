using System.Buffers.Binary;
using Visage.Engine;
using Visage.Engine.Imaging;

namespace Visage.Testing.Images;

/// <summary>JPEG fixtures with an EXIF orientation, as phones write them.</summary>
public static class ExifJpeg
{
    /// <summary>A JPEG whose stored pixels are <paramref name="upright"/> turned the camera's way, tagged with
    /// <paramref name="orientation"/> so that a correct decoder shows <paramref name="upright"/> again. 4:4:4 at
    /// quality 95 keeps the re-encoding error around one grey level.</summary>
    public static byte[] Twin(RgbImage upright, int orientation, bool bigEndian = false) =>
        WithOrientation(ImageEncoder.EncodeJpeg(Orientations.StoredFor(upright, orientation), 95, subsampleChroma: false),
            orientation, bigEndian);

    /// <summary>The EXIF-rotated twin of a JPEG file (orientation 6 by default, the usual portrait phone photo).</summary>
    public static byte[] Twin(byte[] jpeg, int orientation = 6, bool bigEndian = false) =>
        Twin(new NativeImageDecoder(new EngineOptions { MinImageSide = 1 }).Decode(jpeg), orientation, bigEndian);

    /// <summary>Inserts an APP1 Exif segment holding only IFD0's orientation tag right after SOI.</summary>
    public static byte[] WithOrientation(byte[] jpeg, int orientation, bool bigEndian = false)
    {
        if (jpeg.Length < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ArgumentException("not a JPEG", nameof(jpeg));
        var tiff = new byte[8 + 2 + 12 + 4];
        void U16(int at, int v) { if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), (ushort)v); }
        void U32(int at, uint v) { if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at), v); else BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at), v); }
        tiff[0] = tiff[1] = (byte)(bigEndian ? 'M' : 'I');
        U16(2, 42);
        U32(4, 8);                 // IFD0 right after the header
        U16(8, 1);                 // one entry
        U16(10, 0x0112);           // Orientation
        U16(12, 3);                // SHORT
        U32(14, 1);                // count
        U16(18, orientation);      // value, left-justified in the 4-byte field
        U32(22, 0);                // no next IFD

        byte[] exifId = "Exif\0\0"u8.ToArray();
        int length = 2 + exifId.Length + tiff.Length;
        var segment = new byte[2 + length];
        segment[0] = 0xFF; segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)length);
        exifId.CopyTo(segment, 4);
        tiff.CopyTo(segment, 4 + exifId.Length);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }
}
