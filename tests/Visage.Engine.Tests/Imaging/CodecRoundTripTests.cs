using Visage.Engine.Imaging;
using Visage.Testing.Images;
using Xunit;

namespace Visage.Engine.Tests.Imaging;

public class CodecRoundTripTests
{
    static readonly NativeImageDecoder Decoder = new();
    static readonly RgbImage Face = Decoder.Decode(TestPhotos.Lfw);

    [Fact]
    public void Png_round_trip_is_lossless()
    {
        var png = ImageEncoder.EncodePng(Face);
        Assert.Equal(ImageFormat.Png, Decoder.ReadHeader(png).Format);
        Assert.Equal(Face.Pixels, Decoder.Decode(png).Pixels);
    }

    [Fact]
    public void Fast_png_is_lossless_and_larger()
    {
        var fast = ImageEncoder.EncodePng(Face, fast: true);
        Assert.Equal(Face.Pixels, Decoder.Decode(fast).Pixels);
        Assert.True(fast.Length > ImageEncoder.EncodePng(Face).Length, "speed mode should trade size for time");
    }

    [Fact]
    public void Webp_lossless_round_trip_is_exact()
    {
        var webp = ImageEncoder.EncodeWebp(Face, 100);
        var header = Decoder.ReadHeader(webp);
        Assert.Equal((ImageFormat.Webp, 250, 250), (header.Format, header.Width, header.Height));
        Assert.Equal(Face.Pixels, Decoder.Decode(webp).Pixels);
    }

    [Fact]
    public void Png_from_an_independent_writer_decodes_to_exactly_its_pixels()
    {
        // Written with .NET's zlib rather than libpng, so this does not only check libpng against itself.
        var png = PngWriter.Write(Face.Width, Face.Height, PngWriter.Rgb, 8, Face.Pixels);
        Assert.Equal(Face.Pixels, Decoder.Decode(png).Pixels);
    }

    [Theory]
    [InlineData(250, 250)]
    [InlineData(101, 103)]   // sizes that leave the Adam7 passes uneven
    public void Interlaced_png_decodes_to_exactly_its_pixels(int width, int height)
    {
        var face = Orientations.Crop(Face, 0, 0, width, height);
        var png = PngWriter.Write(width, height, PngWriter.Rgb, 8, face.Pixels, interlaced: true);
        Assert.Equal(1, png[8 + 8 + 12]);   // the IHDR interlace byte
        Assert.Equal(face.Pixels, Decoder.Decode(png).Pixels);
    }

    [Theory]
    [InlineData(90)]
    [InlineData(100)]
    public void Webp_in_the_extended_container_decodes_like_the_simple_one(int quality)
    {
        var simple = ImageEncoder.EncodeWebp(Face, quality);
        var extended = HostileImages.WebpExtended(simple, Face.Width, Face.Height);
        var header = Decoder.ReadHeader(extended);
        Assert.Equal((ImageFormat.Webp, 250, 250), (header.Format, header.Width, header.Height));
        Assert.Equal(Decoder.Decode(simple).Pixels, Decoder.Decode(extended).Pixels);
    }

    [Fact]
    public void Webp_whose_container_and_bitstream_disagree_on_size_is_Corrupt()
    {
        var lying = HostileImages.WebpExtended(ImageEncoder.EncodeWebp(Face, 90), 300, 250);
        Assert.Equal(ImageErrorKind.Corrupt, Assert.Throws<ImageException>(() => Decoder.Decode(lying)).Kind);
    }

    [Fact]
    public void Webp_lossy_round_trip_is_close_and_smaller_at_lower_quality()
    {
        var good = ImageEncoder.EncodeWebp(Face, 90);
        var poor = ImageEncoder.EncodeWebp(Face, 20);
        Assert.True(poor.Length < good.Length, $"q20 {poor.Length} bytes, q90 {good.Length} bytes");
        double goodError = Orientations.MeanAbsoluteDifference(Face, Decoder.Decode(good));
        double poorError = Orientations.MeanAbsoluteDifference(Face, Decoder.Decode(poor));
        Assert.True(goodError < 3, $"q90 mean difference {goodError:F2}");
        Assert.True(poorError > goodError, $"q20 {poorError:F2} vs q90 {goodError:F2}");
    }

    [Theory]
    [InlineData(95, false, 1.5)]
    [InlineData(90, true, 3.0)]
    [InlineData(50, true, 6.0)]
    public void Jpeg_round_trip_error_follows_quality(int quality, bool subsample, double maxError)
    {
        var jpeg = ImageEncoder.EncodeJpeg(Face, quality, subsample);
        double error = Orientations.MeanAbsoluteDifference(Face, Decoder.Decode(jpeg));
        Assert.True(error < maxError, $"q{quality}: mean difference {error:F2}");
        Assert.True(error > 0, "JPEG is lossy; identical pixels mean the encoder did not run");
    }

    [Fact]
    public void Stored_112_crop_encodes_to_a_small_jpeg_and_png()
    {
        var crop = Orientations.Crop(Face, 69, 69, 112, 112);
        var jpeg = ImageEncoder.EncodeJpeg(crop, 90);
        var png = ImageEncoder.EncodePng(crop);
        Assert.InRange(jpeg.Length, 500, 12_000);
        Assert.InRange(png.Length, 1_000, 40_000);
        var any = new NativeImageDecoder(new EngineOptions { MinImageSide = 1 });
        Assert.Equal(crop.Pixels, any.Decode(png).Pixels);
        Assert.Equal((112, 112), (any.Decode(jpeg).Width, any.Decode(jpeg).Height));
    }

    [Fact]
    public void Encoders_reject_out_of_range_quality()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageEncoder.EncodeJpeg(Face, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageEncoder.EncodeJpeg(Face, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageEncoder.EncodeWebp(Face, -1));
    }

    // PNG variants libpng's simplified writer cannot produce, written by hand.

    [Fact]
    public void Png_alpha_is_composited_onto_white()
    {
        // Three pixels per row: opaque red, fully transparent black, half-transparent black; 100 rows.
        const int width = 300, height = 100;
        var rows = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            int kind = i % width / 100;
            rows[i * 4 + 0] = (byte)(kind == 0 ? 255 : 0);
            rows[i * 4 + 3] = kind switch { 0 => 255, 1 => 0, _ => 128 };
        }
        var image = Decoder.Decode(PngWriter.Write(width, height, PngWriter.Rgba, 8, rows));
        Assert.Equal((255, 0, 0), Pixel(image, 50, 50));
        Assert.Equal((255, 255, 255), Pixel(image, 150, 50));
        var (r, g, b) = Pixel(image, 250, 50);
        Assert.True(r == g && g == b && r is > 100 and < 230, $"half-transparent black on white gave ({r},{g},{b})");
    }

    [Fact]
    public void Png_palette_with_transparency_becomes_rgb()
    {
        const int width = 128, height = 128;
        var rows = new byte[width * height];
        for (int i = 0; i < rows.Length; i++) rows[i] = (byte)(i % width < 64 ? 0 : 1);
        byte[] palette = [10, 200, 30, 0, 0, 0];
        var image = Decoder.Decode(PngWriter.Write(width, height, PngWriter.Palette, 8, rows, palette, transparency: [255, 0]));
        Assert.Equal((10, 200, 30), Pixel(image, 10, 10));
        Assert.Equal((255, 255, 255), Pixel(image, 100, 10));
    }

    [Fact]
    public void Png_16_bit_is_read_as_srgb_not_linear()
    {
        const int width = 128, height = 128;
        var rows = new byte[width * height * 2];
        for (int i = 0; i < width * height; i++) { rows[i * 2] = 0x80; rows[i * 2 + 1] = 0x80; }   // 0x8080 = 50 %
        var image = Decoder.Decode(PngWriter.Write(width, height, PngWriter.Grey, 16, rows));
        var (r, g, b) = Pixel(image, 64, 64);
        Assert.True(r == g && g == b && Math.Abs(r - 128) <= 1, $"mid grey became ({r},{g},{b}); 188 would mean read as linear");
    }

    [Fact]
    public void Png_grey_with_alpha_and_16_bit_rgb_decode()
    {
        const int width = 120, height = 110;
        var greyAlpha = new byte[width * height * 2];
        for (int i = 0; i < width * height; i++) { greyAlpha[i * 2] = 77; greyAlpha[i * 2 + 1] = 255; }
        Assert.Equal((77, 77, 77), Pixel(Decoder.Decode(PngWriter.Write(width, height, PngWriter.GreyAlpha, 8, greyAlpha)), 5, 5));

        var rgb16 = new byte[width * height * 6];
        for (int i = 0; i < width * height; i++) { rgb16[i * 6] = 200; rgb16[i * 6 + 2] = 100; rgb16[i * 6 + 4] = 50; }
        var (r, g, b) = Pixel(Decoder.Decode(PngWriter.Write(width, height, PngWriter.Rgb, 16, rgb16, srgb: true)), 5, 5);
        Assert.True(Math.Abs(r - 200) <= 1 && Math.Abs(g - 100) <= 1 && Math.Abs(b - 50) <= 1, $"({r},{g},{b})");
    }

    static (int R, int G, int B) Pixel(RgbImage image, int x, int y)
    {
        int i = (y * image.Width + x) * 3;
        return (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
    }
}
