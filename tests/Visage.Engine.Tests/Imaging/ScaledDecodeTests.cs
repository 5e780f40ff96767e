using System.Diagnostics;
using Visage.Engine.Imaging;
using Visage.Testing.Images;
using Xunit;

namespace Visage.Engine.Tests.Imaging;

public class ScaledDecodeTests
{
    static readonly NativeImageDecoder Decoder = new();

    [Theory]
    [InlineData(0, 3880, 5184)]
    [InlineData(640, 485, 648)]     // 1/8: 648 >= 640
    [InlineData(649, 970, 1296)]    // 1/8 would give 648 < 649, so 1/4
    [InlineData(1296, 970, 1296)]
    [InlineData(2000, 1940, 2592)]  // 1/2
    [InlineData(2593, 3880, 5184)]  // nothing smaller keeps 2593
    [InlineData(9000, 3880, 5184)]
    public void Jpeg_picks_the_smallest_power_of_two_scale_keeping_the_longer_side(int maxSide, int width, int height)
    {
        var image = Decoder.Decode(TestPhotos.PhonePhoto, maxSide);
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [Fact]
    public void Scaled_jpeg_matches_a_box_filtered_full_decode()
    {
        var full = Decoder.Decode(TestPhotos.PhonePhoto);
        var eighth = Decoder.Decode(TestPhotos.PhonePhoto, 640);
        var boxed = BoxDownscale(full, 8);
        double error = Orientations.MeanAbsoluteDifference(boxed, eighth);
        Assert.True(error < 3.0, $"mean difference {error:F2} from an 8x8 box average");
    }

    [Fact]
    public void Png_ignores_max_side()
    {
        var image = Decoder.Decode(TestPhotos.RgbPng, 112);
        Assert.Equal((224, 224), (image.Width, image.Height));
    }

    [Fact]
    public void Exif_orientation_applies_after_scaling()
    {
        var upright = Decoder.Decode(TestPhotos.PhonePhoto, 1296);
        var twin = ExifJpeg.Twin(upright, 8);
        var scaled = Decoder.Decode(twin, 300);   // 1/4 of 1296x970 keeps 324 >= 300
        Assert.Equal((243, 324), (scaled.Width, scaled.Height));
        Assert.True(Orientations.MeanAbsoluteDifference(BoxDownscale(upright, 4), scaled) < 4.0);
    }

    static RgbImage BoxDownscale(RgbImage src, int factor)
    {
        int w = (src.Width + factor - 1) / factor, h = (src.Height + factor - 1) / factor;
        var dst = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                {
                    int sum = 0, n = 0;
                    for (int dy = 0; dy < factor && y * factor + dy < src.Height; dy++)
                        for (int dx = 0; dx < factor && x * factor + dx < src.Width; dx++, n++)
                            sum += src.Pixels[((y * factor + dy) * src.Width + x * factor + dx) * 3 + c];
                    dst[(y * w + x) * 3 + c] = (byte)((sum + n / 2) / n);
                }
        return new RgbImage(w, h, dst);
    }
}
