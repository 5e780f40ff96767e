namespace Visage.Engine.Imaging;

/// <summary>Turns a decoded RGB buffer upright according to its EXIF orientation (1..8).</summary>
internal static class Orientation
{
    // Rotations walk the source column-wise; square tiles keep both the read and the write side in cache.
    const int Tile = 64;

    public static (int Width, int Height) UprightSize(int width, int height, int orientation) =>
        orientation >= 5 ? (height, width) : (width, height);

    /// <summary>Writes the upright image into <paramref name="dst"/>; the source is <paramref name="width"/> x
    /// <paramref name="height"/> as stored in the file.</summary>
    public static void Apply(ReadOnlySpan<byte> src, int width, int height, int orientation, Span<byte> dst)
    {
        // Output pixel (x, y) reads source pixel origin + x*stepX + y*stepY, which covers all eight cases.
        var (origin, stepX, stepY) = orientation switch
        {
            1 => (0, 1, width),
            2 => (width - 1, -1, width),                        // mirrored
            3 => (width * height - 1, -1, -width),              // rotated 180
            4 => ((height - 1) * width, 1, -width),             // flipped vertically
            5 => (0, width, 1),                                 // transposed
            6 => ((height - 1) * width, -width, 1),             // needs 90 clockwise
            7 => (width * height - 1, -width, -1),              // transversed
            8 => (width - 1, width, -1),                        // needs 90 counter-clockwise
            _ => throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "EXIF orientation is 1..8"),
        };
        var (outWidth, outHeight) = UprightSize(width, height, orientation);
        for (int tileY = 0; tileY < outHeight; tileY += Tile)
        {
            int yEnd = Math.Min(tileY + Tile, outHeight);
            for (int tileX = 0; tileX < outWidth; tileX += Tile)
            {
                int xEnd = Math.Min(tileX + Tile, outWidth);
                for (int y = tileY; y < yEnd; y++)
                {
                    int s = origin + tileX * stepX + y * stepY;
                    var row = dst.Slice((y * outWidth + tileX) * 3, (xEnd - tileX) * 3);
                    for (int d = 0; d < row.Length; d += 3, s += stepX)
                    {
                        int si = s * 3;
                        row[d] = src[si];
                        row[d + 1] = src[si + 1];
                        row[d + 2] = src[si + 2];
                    }
                }
            }
        }
    }
}
