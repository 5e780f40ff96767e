using Visage.Engine;

namespace Visage.Testing.Images;

/// <summary>EXIF orientation from the camera's side: the pixels a camera stores for a scene, given the upright
/// scene. Built from two primitives (rotate clockwise, mirror) and written apart from the decoder's table, so a
/// test comparing the two cannot pass by sharing a mistake.</summary>
public static class Orientations
{
    /// <summary>The stored pixels whose EXIF <paramref name="orientation"/> displays as <paramref name="upright"/>.</summary>
    public static RgbImage StoredFor(RgbImage upright, int orientation) => orientation switch
    {
        1 => upright,
        2 => Mirror(upright),                                   // display mirrors
        3 => RotateClockwise(RotateClockwise(upright)),         // display turns 180
        4 => Mirror(RotateClockwise(RotateClockwise(upright))), // display flips vertically
        5 => Mirror(RotateClockwise(upright)),                  // display transposes (self-inverse)
        6 => RotateClockwise(RotateClockwise(RotateClockwise(upright))), // display turns 90 clockwise
        7 => Mirror(RotateClockwise(RotateClockwise(RotateClockwise(upright)))), // display transverses (self-inverse)
        8 => RotateClockwise(upright),                          // display turns 90 counter-clockwise
        _ => throw new ArgumentOutOfRangeException(nameof(orientation)),
    };

    public static RgbImage RotateClockwise(RgbImage src)
    {
        int w = src.Width, h = src.Height;
        var dst = new byte[src.Pixels.Length];
        // source (x, y) lands at (h-1-y, x) in an image h wide
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Array.Copy(src.Pixels, (y * w + x) * 3, dst, (x * h + (h - 1 - y)) * 3, 3);
        return new RgbImage(h, w, dst);
    }

    public static RgbImage Mirror(RgbImage src)
    {
        int w = src.Width, h = src.Height;
        var dst = new byte[src.Pixels.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Array.Copy(src.Pixels, (y * w + x) * 3, dst, (y * w + (w - 1 - x)) * 3, 3);
        return new RgbImage(w, h, dst);
    }

    public static RgbImage Crop(RgbImage src, int x0, int y0, int width, int height)
    {
        var dst = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            Array.Copy(src.Pixels, ((y0 + y) * src.Width + x0) * 3, dst, y * width * 3, width * 3);
        return new RgbImage(width, height, dst);
    }

    /// <summary>Mean absolute difference per channel value, 0..255; images must have the same size.</summary>
    public static double MeanAbsoluteDifference(RgbImage a, RgbImage b)
    {
        if (a.Width != b.Width || a.Height != b.Height)
            throw new ArgumentException($"sizes differ: {a.Width}x{a.Height} vs {b.Width}x{b.Height}");
        long sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++) sum += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        return (double)sum / a.Pixels.Length;
    }
}
