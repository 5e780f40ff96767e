using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Visage.Engine.Imaging;

/// <summary>Turns a decoded RGB buffer upright according to its EXIF orientation (1..8).</summary>
internal static class Orientation
{
    // Rotations walk the source column-wise; square tiles keep both the read and the write side in cache.
    const int Tile = 128;

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
        int length = width * height * 3;
        // The walk below skips bounds checks (it is most of the cost on a 20 MP photo), so the sizes are checked once here.
        if (src.Length < length || dst.Length < length) throw new ArgumentException("buffers are smaller than the image");
        ref byte source = ref MemoryMarshal.GetReference(src);
        ref byte target = ref MemoryMarshal.GetReference(dst);
        for (int tileY = 0; tileY < outHeight; tileY += Tile)
        {
            int yEnd = Math.Min(tileY + Tile, outHeight);
            for (int tileX = 0; tileX < outWidth; tileX += Tile)
            {
                int xEnd = Math.Min(tileX + Tile, outWidth);
                for (int y = tileY; y < yEnd; y++)
                {
                    nint s = (nint)(origin + tileX * stepX + y * stepY) * 3;
                    nint d = (nint)(y * outWidth + tileX) * 3;
                    nint step = (nint)stepX * 3;
                    for (int x = tileX; x < xEnd; x++, s += step, d += 3)
                    {
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, d), Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref source, s)));
                        Unsafe.Add(ref target, d + 2) = Unsafe.Add(ref source, s + 2);
                    }
                }
            }
        }
    }
}
