namespace Visage.Engine.Imaging;

/// <summary>libwebp (Debian libwebp7). The only code that touches its pointers; libwebp is thread-safe.
/// Animated WebP is refused by the header reader; alpha is dropped (the RGB under it is kept).</summary>
internal static unsafe class LibWebp
{
    sealed class Api
    {
        public readonly delegate* unmanaged<byte*, nuint, int*, int*, int> GetInfo;
        public readonly delegate* unmanaged<byte*, nuint, byte*, nuint, int, byte*> DecodeRgbInto;
        public readonly delegate* unmanaged<byte*, int, int, int, float, byte**, nuint> EncodeRgb;
        public readonly delegate* unmanaged<byte*, int, int, int, byte**, nuint> EncodeLosslessRgb;
        public readonly delegate* unmanaged<void*, void> Free;

        public Api()
        {
            var lib = NativeLibraries.Load("libwebp.so.7", "libwebp7");
            GetInfo = (delegate* unmanaged<byte*, nuint, int*, int*, int>)lib.Export("WebPGetInfo");
            DecodeRgbInto = (delegate* unmanaged<byte*, nuint, byte*, nuint, int, byte*>)lib.Export("WebPDecodeRGBInto");
            EncodeRgb = (delegate* unmanaged<byte*, int, int, int, float, byte**, nuint>)lib.Export("WebPEncodeRGB");
            EncodeLosslessRgb = (delegate* unmanaged<byte*, int, int, int, byte**, nuint>)lib.Export("WebPEncodeLosslessRGB");
            Free = (delegate* unmanaged<void*, void>)lib.Export("WebPFree");
        }
    }

    static Api Native => Loaded<Api>.Api;

    /// <summary>Decodes into <paramref name="rgb"/> (width*height*3 bytes, the size the header declared).
    /// <paramref name="declaredLength"/> is the RIFF size, which tells a cut-short file from a corrupt one
    /// because libwebp itself only says "failed".</summary>
    public static void DecodeRgb(ReadOnlySpan<byte> webp, int width, int height, long declaredLength, Span<byte> rgb)
    {
        var n = Native;
        fixed (byte* src = webp)
        fixed (byte* dst = rgb)
        {
            int w, h;
            bool ok = n.GetInfo(src, (nuint)webp.Length, &w, &h) != 0;
            if (ok && (w != width || h != height))
                throw new ImageException(ImageErrorKind.Corrupt, "WebP header is inconsistent");
            if (ok && n.DecodeRgbInto(src, (nuint)webp.Length, dst, (nuint)rgb.Length, width * 3) != null)
                return;
        }
        throw webp.Length < declaredLength
            ? new ImageException(ImageErrorKind.Truncated, $"WebP data ends early: {webp.Length} of {declaredLength} bytes")
            : new ImageException(ImageErrorKind.Corrupt, "WebP data is corrupt");
    }

    /// <summary>Lossy at <paramref name="quality"/> 0..99, lossless at 100.</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height, int quality)
    {
        var n = Native;
        byte* output = null;
        try
        {
            nuint size;
            fixed (byte* src = rgb)
                size = quality >= 100
                    ? n.EncodeLosslessRgb(src, width, height, width * 3, &output)
                    : n.EncodeRgb(src, width, height, width * 3, quality, &output);
            if (size == 0)
                throw new ArgumentException($"libwebp cannot encode a {width}x{height} image (WebP's limit is 16383 per side)");
            return new ReadOnlySpan<byte>(output, checked((int)size)).ToArray();
        }
        finally
        {
            if (output != null) n.Free(output);
        }
    }
}
