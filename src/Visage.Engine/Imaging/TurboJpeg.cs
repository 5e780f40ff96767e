using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Visage.Engine.Imaging;

/// <summary>The TurboJPEG 2.x API of libjpeg-turbo (Debian libturbojpeg0). The only code that touches its pointers.
/// TurboJPEG handles are not thread-safe, so each call rents one from a pool.</summary>
internal static unsafe class TurboJpeg
{
    const int PixelFormatRgb = 0;        // TJPF_RGB
    const int PixelFormatCmyk = 11;      // TJPF_CMYK
    const int Subsample444 = 0, Subsample420 = 2;
    const int FlagProgressive = 16384;  // TJFLAG_PROGRESSIVE
    const int FlagLimitScans = 32768;    // TJFLAG_LIMITSCANS: refuse progressive files with >500 scans (CPU bombs)
    const int ErrorWarning = 0;          // TJERR_WARNING
    const int ColorspaceCmyk = 3, ColorspaceYcck = 4;

    sealed class Api
    {
        public readonly delegate* unmanaged<nint> InitDecompress, InitCompress;
        public readonly delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
        public readonly delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
        public readonly delegate* unmanaged<nint, byte*, int, int, int, int, byte**, CULong*, int, int, int, int> Compress2;
        public readonly delegate* unmanaged<nint, byte*> GetErrorStr2;
        public readonly delegate* unmanaged<nint, int> GetErrorCode, Destroy;
        public readonly delegate* unmanaged<byte*, void> Free;
        public readonly ConcurrentBag<nint> Decompressors = [], Compressors = [];

        public Api()
        {
            var lib = NativeLibraries.Load("libturbojpeg.so.0", "libturbojpeg0");
            InitDecompress = (delegate* unmanaged<nint>)lib.Export("tjInitDecompress");
            InitCompress = (delegate* unmanaged<nint>)lib.Export("tjInitCompress");
            DecompressHeader3 = (delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int>)lib.Export("tjDecompressHeader3");
            Decompress2 = (delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int>)lib.Export("tjDecompress2");
            Compress2 = (delegate* unmanaged<nint, byte*, int, int, int, int, byte**, CULong*, int, int, int, int>)lib.Export("tjCompress2");
            GetErrorStr2 = (delegate* unmanaged<nint, byte*>)lib.Export("tjGetErrorStr2");
            GetErrorCode = (delegate* unmanaged<nint, int>)lib.Export("tjGetErrorCode");
            Destroy = (delegate* unmanaged<nint, int>)lib.Export("tjDestroy");
            Free = (delegate* unmanaged<byte*, void>)lib.Export("tjFree");
        }
    }

    static Api Native => Loaded<Api>.Api;

    /// <summary>Decodes the <paramref name="width"/> x <paramref name="height"/> JPEG (the size its frame header declared)
    /// at scale 1/<paramref name="denominator"/> into tightly packed RGB of <see cref="ScaledSize"/>.</summary>
    public static void DecodeRgb(ReadOnlySpan<byte> jpeg, int width, int height, int denominator, Span<byte> rgb)
    {
        try
        {
            DecodeOnce(jpeg, width, height, denominator, rgb);
        }
        catch (ImageException e) when (e.Kind == ImageErrorKind.Truncated && !jpeg.EndsWith(EndOfImage))
        {
            // Some writers omit the final EOI marker; libjpeg's look-ahead then reports the end of data even though
            // every row was there. With EOI restored, a complete scan decodes cleanly while a cut one still fails
            // (libjpeg meets the marker while it needs data), so the original verdict stands for those.
            var patched = ArrayPool<byte>.Shared.Rent(jpeg.Length + 2);
            try
            {
                jpeg.CopyTo(patched);
                EndOfImage.CopyTo(patched.AsSpan(jpeg.Length));
                DecodeOnce(patched.AsSpan(0, jpeg.Length + 2), width, height, denominator, rgb);
            }
            catch (ImageException)
            {
                throw e;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(patched);
            }
        }
    }

    static ReadOnlySpan<byte> EndOfImage => [0xFF, 0xD9];

    static void DecodeOnce(ReadOnlySpan<byte> jpeg, int width, int height, int denominator, Span<byte> rgb)
    {
        var (outWidth, outHeight) = ScaledSize(width, height, denominator);
        // tjDecompress2 trusts the buffer to fit; a wrong size here would be a heap overflow, not an exception.
        if (rgb.Length != outWidth * outHeight * 3) throw new ArgumentException("buffer does not match the scaled size", nameof(rgb));
        var n = Native;
        var handle = Rent(n.Decompressors, n.InitDecompress);
        bool healthy = false;
        try
        {
            fixed (byte* src = jpeg)
            fixed (byte* dst = rgb)
            {
                int w, h, subsampling, colorspace;
                ThrowOnFailure(n, handle, n.DecompressHeader3(handle, src, new CULong((nuint)jpeg.Length), &w, &h, &subsampling, &colorspace), jpeg);
                if (w != width || h != height)
                    throw new ImageException(ImageErrorKind.Corrupt, $"JPEG frame headers disagree ({width}x{height} and {w}x{h})");
                // Given the exact 1/d size, TurboJPEG picks that factor (the largest whose output fits), so it writes
                // exactly outHeight rows of outWidth pixels.
                if (colorspace is ColorspaceCmyk or ColorspaceYcck)
                    DecodeCmykAsRgb(n, handle, src, jpeg, outWidth, outHeight, rgb);
                else
                    ThrowOnFailure(n, handle, n.Decompress2(handle, src, new CULong((nuint)jpeg.Length), dst, outWidth, outWidth * 3, outHeight,
                        PixelFormatRgb, FlagLimitScans), jpeg);
            }
            healthy = true;
        }
        finally
        {
            // A handle that has just failed goes back to the library rather than to the next caller.
            if (healthy) n.Decompressors.Add(handle); else n.Destroy(handle);
        }
    }

    /// <summary>libjpeg has no CMYK-to-RGB conversion (it needs a colour profile to be right). Print-workflow files
    /// reach us rarely, and a face detector needs plausible colours, not proofing: the naive conversion on Adobe's
    /// inverted CMYK (R = C*K/255), the same TurboJPEG's own tools use, is enough.</summary>
    static void DecodeCmykAsRgb(Api n, nint handle, byte* src, ReadOnlySpan<byte> jpeg, int width, int height, Span<byte> rgb)
    {
        int pixels = width * height;
        var cmyk = ArrayPool<byte>.Shared.Rent(pixels * 4);
        try
        {
            fixed (byte* dst = cmyk)
                ThrowOnFailure(n, handle, n.Decompress2(handle, src, new CULong((nuint)jpeg.Length), dst, width, width * 4, height,
                    PixelFormatCmyk, FlagLimitScans), jpeg);
            var from = cmyk.AsSpan(0, pixels * 4);
            for (int i = 0, o = 0; o < pixels * 3; i += 4, o += 3)
            {
                int k = from[i + 3];
                rgb[o] = (byte)((from[i] * k + 127) / 255);
                rgb[o + 1] = (byte)((from[i + 1] * k + 127) / 255);
                rgb[o + 2] = (byte)((from[i + 2] * k + 127) / 255);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(cmyk);
        }
    }

    /// <summary>The output size TurboJPEG produces at scale 1/<paramref name="denominator"/> (TJSCALED rounds up);
    /// 1, 2, 4 and 8 are exact DCT-domain scalings, the others are not offered.</summary>
    public static (int Width, int Height) ScaledSize(int width, int height, int denominator) =>
        ((width + denominator - 1) / denominator, (height + denominator - 1) / denominator);

    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height, int quality, bool subsampleChroma, bool progressive = false) =>
        Encode(rgb, width, height, PixelFormatRgb, subsampleChroma ? Subsample420 : Subsample444, quality, progressive ? FlagProgressive : 0);

    /// <summary>Packed CMYK, inverted as Adobe writes it (255 = no ink), to a YCCK JPEG: test fixtures only.</summary>
    public static byte[] EncodeCmyk(ReadOnlySpan<byte> cmyk, int width, int height, int quality) =>
        Encode(cmyk, width, height, PixelFormatCmyk, Subsample444, quality, 0);

    static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int pixelFormat, int subsampling, int quality, int flags)
    {
        var n = Native;
        var handle = Rent(n.Compressors, n.InitCompress);
        bool healthy = false;
        byte* jpeg = null;
        try
        {
            var size = new CULong(0);
            fixed (byte* src = pixels)
                if (n.Compress2(handle, src, width, width * BytesPerPixel(pixelFormat), height, pixelFormat, &jpeg, &size,
                        subsampling, quality, flags) != 0)
                    throw new InvalidOperationException("tjCompress2 failed: " + ErrorText(n, handle));
            healthy = true;
            return new ReadOnlySpan<byte>(jpeg, checked((int)size.Value)).ToArray();
        }
        finally
        {
            if (jpeg != null) n.Free(jpeg);
            // libjpeg-turbo 2.1 keeps settings such as the progressive scan script in the handle: a baseline encode
            // after a progressive one on the same handle comes out corrupt (found by JpegVariantTests). Only
            // handles that did the plain RGB baseline encode go back to the pool.
            if (healthy && flags == 0 && pixelFormat == PixelFormatRgb) n.Compressors.Add(handle); else n.Destroy(handle);
        }
    }

    static int BytesPerPixel(int pixelFormat) => pixelFormat == PixelFormatCmyk ? 4 : 3;

    static nint Rent(ConcurrentBag<nint> pool, delegate* unmanaged<nint> init)
    {
        if (pool.TryTake(out var handle)) return handle;
        handle = init();
        return handle != 0 ? handle : throw new OutOfMemoryException("TurboJPEG could not allocate a handle");
    }

    /// <summary>TurboJPEG returns -1 for warnings as well as errors, and keeps only the last message. Stray bytes
    /// between header segments are the one warning after which libjpeg's output is exact (some writers produce
    /// them); the same message after a scan means the entropy data went wrong and libjpeg resynchronised on the
    /// next marker. Any warning but the first kind means pixels were made up, and the photo is refused rather
    /// than enrolled with grey or garbled blocks.</summary>
    static void ThrowOnFailure(Api n, nint handle, int result, ReadOnlySpan<byte> jpeg)
    {
        if (result == 0) return;
        var text = ErrorText(n, handle);
        if (n.GetErrorCode(handle) == ErrorWarning && text.Contains("extraneous bytes before marker", StringComparison.Ordinal)
            && ImageHeaderReader.JpegHeaderStrayBytesMarker(jpeg) is >= 0 and var marker
            && text.EndsWith($"before marker 0x{marker:x2}", StringComparison.Ordinal))
            return;
        int length = jpeg.Length;
        // libjpeg's memory source reports running out of data as "Premature end of JPEG file" (a warning: it pads
        // the rest with grey) or "Premature end of input file"; both mean the upload was cut short.
        var kind = text.Contains("Premature end", StringComparison.Ordinal) ? ImageErrorKind.Truncated : ImageErrorKind.Corrupt;
        throw new ImageException(kind, kind == ImageErrorKind.Truncated
            ? $"JPEG data ends early after {length} bytes ({text})"
            : $"JPEG data is corrupt ({text})");
    }

    static string ErrorText(Api n, nint handle) =>
        Marshal.PtrToStringUTF8((nint)n.GetErrorStr2(handle)) ?? "unknown TurboJPEG error";
}
