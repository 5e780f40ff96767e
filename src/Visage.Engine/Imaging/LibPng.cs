using System.Buffers;
using System.Runtime.InteropServices;

namespace Visage.Engine.Imaging;

/// <summary>libpng 1.6's simplified API (Debian libpng16-16). The only code that touches its pointers. Each call
/// owns its png_image, so this is thread-safe. Alpha is composited onto white; grey, palette and 16-bit
/// images are converted to 8-bit RGB by libpng (16-bit without colour information is read as sRGB).</summary>
internal static unsafe class LibPng
{
    const uint ImageVersion = 1;   // PNG_IMAGE_VERSION
    const uint FormatRgb = 2;      // PNG_FORMAT_RGB
    const uint FlagFast = 2;       // PNG_IMAGE_FLAG_FAST: no filtering, low zlib level
    const uint Flag16BitSrgb = 4;  // PNG_IMAGE_FLAG_16BIT_sRGB

    /// <summary>png_image from png.h (libpng 1.6): the layout must match field for field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct PngImage
    {
        public nint Opaque;
        public uint Version, Width, Height, Format, Flags, ColormapEntries, WarningOrError;
        public fixed byte Message[64];
    }

    [StructLayout(LayoutKind.Sequential)]
    struct PngColor { public byte Red, Green, Blue; }

    sealed class Api
    {
        public readonly delegate* unmanaged<PngImage*, void*, nuint, int> BeginReadFromMemory;
        public readonly delegate* unmanaged<PngImage*, PngColor*, void*, int, void*, int> FinishRead;
        public readonly delegate* unmanaged<PngImage*, void> Free;
        public readonly delegate* unmanaged<PngImage*, void*, nuint*, int, void*, int, void*, int> WriteToMemory;

        public Api()
        {
            var lib = NativeLibraries.Load("libpng16.so.16", "libpng16-16");
            BeginReadFromMemory = (delegate* unmanaged<PngImage*, void*, nuint, int>)lib.Export("png_image_begin_read_from_memory");
            FinishRead = (delegate* unmanaged<PngImage*, PngColor*, void*, int, void*, int>)lib.Export("png_image_finish_read");
            Free = (delegate* unmanaged<PngImage*, void>)lib.Export("png_image_free");
            WriteToMemory = (delegate* unmanaged<PngImage*, void*, nuint*, int, void*, int, void*, int>)lib.Export("png_image_write_to_memory");
        }
    }

    static Api Native => Loaded<Api>.Api;

    /// <summary>Decodes into <paramref name="rgb"/>, which holds width*height*3 bytes for the size the IHDR declared.</summary>
    public static void DecodeRgb(ReadOnlySpan<byte> png, int width, int height, Span<byte> rgb)
    {
        // png_image_finish_read trusts the buffer to fit; a wrong size here would be a heap overflow.
        if (rgb.Length != width * height * 3) throw new ArgumentException("buffer does not match the image size", nameof(rgb));
        var n = Native;
        var image = new PngImage { Version = ImageVersion };
        var white = new PngColor { Red = 255, Green = 255, Blue = 255 };
        try
        {
            fixed (byte* src = png)
            fixed (byte* dst = rgb)
            {
                if (n.BeginReadFromMemory(&image, src, (nuint)png.Length) == 0)
                    throw Failure(ref image);
                if (image.Width != (uint)width || image.Height != (uint)height)
                    throw new ImageException(ImageErrorKind.Corrupt, "PNG header is inconsistent");
                image.Format = FormatRgb;
                // Untagged 16-bit files are almost always sRGB-encoded photos; libpng would otherwise take them as
                // linear light and brighten them.
                image.Flags |= Flag16BitSrgb;
                if (n.FinishRead(&image, &white, dst, width * 3, null) == 0)
                    throw Failure(ref image);
            }
        }
        finally
        {
            n.Free(&image);   // safe after libpng freed it itself on error: it checks the opaque pointer
        }
    }

    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height, bool fast)
    {
        var n = Native;
        // deflate's worst case (stored blocks) plus the filter byte per row and chunk headers, so one pass suffices.
        long raw = (long)(width * 3 + 1) * height;
        var capacity = checked((int)(raw + raw / 64 + 4096));
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var image = new PngImage { Version = ImageVersion, Width = (uint)width, Height = (uint)height, Format = FormatRgb, Flags = fast ? FlagFast : 0 };
            nuint size = (nuint)buffer.Length;
            fixed (byte* src = rgb)
            fixed (byte* dst = buffer)
                if (n.WriteToMemory(&image, dst, &size, 0, src, width * 3, null) == 0)
                    throw new InvalidOperationException("png_image_write_to_memory failed: " + MessageOf(ref image));
            return buffer.AsSpan(0, (int)size).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static ImageException Failure(ref PngImage image)
    {
        var text = MessageOf(ref image);
        // The memory reader of the simplified API says exactly this when the data stops before IEND.
        var kind = text.Contains("beyond end of data", StringComparison.Ordinal) ? ImageErrorKind.Truncated : ImageErrorKind.Corrupt;
        return new ImageException(kind, kind == ImageErrorKind.Truncated ? $"PNG data ends early ({text})" : $"PNG data is corrupt ({text})");
    }

    static string MessageOf(ref PngImage image)
    {
        fixed (byte* text = image.Message)
            return Marshal.PtrToStringUTF8((nint)text) is { Length: > 0 } s ? s : "unknown libpng error";
    }
}
