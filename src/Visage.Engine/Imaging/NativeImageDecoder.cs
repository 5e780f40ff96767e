using System.Buffers;

namespace Visage.Engine.Imaging;

/// <summary>JPEG (TurboJPEG), PNG (libpng) and WebP (libwebp) to upright 8-bit RGB. The header is read and the
/// size limits enforced before any pixel is decoded, so a tiny file declaring a huge image costs nothing.
/// Thread-safe.</summary>
public sealed class NativeImageDecoder : IImageDecoder
{
    // An RgbImage is one byte[]; .NET arrays stop just under 2^31 bytes.
    const long MaxRepresentablePixels = int.MaxValue / 3;
    static readonly int[] JpegDownscales = [8, 4, 2];

    readonly int minSide;
    readonly long maxPixels;

    public NativeImageDecoder() : this(new EngineOptions()) { }

    public NativeImageDecoder(EngineOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinImageSide, 1, "Engine:MinImageSide");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxImagePixels, 1, "Engine:MaxImagePixels");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxImagePixels, MaxRepresentablePixels, "Engine:MaxImagePixels");
        minSide = options.MinImageSide;
        maxPixels = options.MaxImagePixels;
    }

    public ImageHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var header = ImageHeaderReader.Read(data);
        long pixels = (long)header.Width * header.Height;
        if (pixels > maxPixels)
            throw new ImageException(ImageErrorKind.TooLargeDimensions,
                $"image is {header.Width}x{header.Height} ({Megapixels(pixels)} MP); the limit is {Megapixels(maxPixels)} MP");
        if (Math.Min(header.Width, header.Height) < minSide)
            throw new ImageException(ImageErrorKind.TooSmall,
                $"image is {header.Width}x{header.Height}; both sides must be at least {minSide} px");
        return header;
    }

    public RgbImage Decode(ReadOnlySpan<byte> data) => Decode(data, 0);

    /// <summary>Decodes, letting JPEG use TurboJPEG's DCT-domain downscale (1/2, 1/4, 1/8) as far as the longer
    /// side stays at least <paramref name="maxSide"/>; 0 or less means full size. PNG and WebP always decode at full
    /// size.</summary>
    public RgbImage Decode(ReadOnlySpan<byte> data, int maxSide)
    {
        var header = ReadHeader(data);
        int denominator = header.Format == ImageFormat.Jpeg ? JpegDenominator(header.Width, header.Height, maxSide) : 1;
        var (width, height) = TurboJpeg.ScaledSize(header.Width, header.Height, denominator);

        int length = width * height * 3;
        bool upright = header.ExifOrientation == 1;
        // Upright images decode straight into the result; the others go through a pooled buffer and are rotated
        // into it, so the big intermediate is reused across requests.
        byte[] buffer = upright ? GC.AllocateUninitializedArray<byte>(length) : ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var pixels = buffer.AsSpan(0, length);
            switch (header.Format)
            {
                case ImageFormat.Jpeg: TurboJpeg.DecodeRgb(data, header.Width, header.Height, denominator, pixels); break;
                case ImageFormat.Png: LibPng.DecodeRgb(data, width, height, pixels); break;
                default: LibWebp.DecodeRgb(data, width, height, ImageHeaderReader.WebpDeclaredLength(data), pixels); break;
            }
            if (upright) return new RgbImage(width, height, buffer);

            var (outWidth, outHeight) = Orientation.UprightSize(width, height, header.ExifOrientation);
            var result = GC.AllocateUninitializedArray<byte>(length);
            Orientation.Apply(pixels, width, height, header.ExifOrientation, result);
            return new RgbImage(outWidth, outHeight, result);
        }
        finally
        {
            if (!upright) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static int JpegDenominator(int width, int height, int maxSide)
    {
        if (maxSide <= 0) return 1;
        foreach (int d in JpegDownscales)
        {
            var (w, h) = TurboJpeg.ScaledSize(width, height, d);
            if (Math.Max(w, h) >= maxSide) return d;
        }
        return 1;
    }

    static string Megapixels(long pixels) => (pixels / 1e6).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
