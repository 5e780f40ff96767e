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

    /// <param name="fast">libpng's speed-over-size mode: a 112x112 crop encodes in ~0.8 ms instead of 3-13 ms and
    /// grows from ~20 KB to ~33 KB (docs/notes/imaging.md).</param>
    public static byte[] EncodePng(RgbImage image, bool fast = false) => LibPng.EncodeRgb(image.Pixels, image.Width, image.Height, fast);

    /// <param name="quality">0..99 lossy, 100 lossless.</param>
    public static byte[] EncodeWebp(RgbImage image, int quality = 90)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quality);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return LibWebp.EncodeRgb(image.Pixels, image.Width, image.Height, quality);
    }
}
