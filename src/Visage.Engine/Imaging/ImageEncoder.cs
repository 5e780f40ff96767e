namespace Visage.Engine.Imaging;

/// <summary>RGB to JPEG (TurboJPEG), PNG (libpng) or WebP (libwebp): stored face crops for the dashboard and
/// test fixtures. Thread-safe.</summary>
public static class ImageEncoder
{
    /// <param name="quality">1..100.</param>
    /// <param name="subsampleChroma">4:2:0 when true (smaller, the usual camera output); 4:4:4 when false, for
    /// fixtures that must stay close to the source.</param>
    public static byte[] EncodeJpeg(RgbImage image, int quality = 90, bool subsampleChroma = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return TurboJpeg.EncodeRgb(image.Pixels, image.Width, image.Height, quality, subsampleChroma);
    }

    public static byte[] EncodePng(RgbImage image) => LibPng.EncodeRgb(image.Pixels, image.Width, image.Height);

    /// <param name="quality">0..99 lossy, 100 lossless.</param>
    public static byte[] EncodeWebp(RgbImage image, int quality = 90)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quality);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return LibWebp.EncodeRgb(image.Pixels, image.Width, image.Height, quality);
    }
}
