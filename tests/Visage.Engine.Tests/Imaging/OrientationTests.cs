using Visage.Engine.Imaging;
using Visage.Testing.Images;
using Xunit;

namespace Visage.Engine.Tests.Imaging;

public class OrientationTests
{
    static readonly NativeImageDecoder Decoder = new();

    // Where the stored top-left (red) and top-right (green) quarters must appear, read off the EXIF 2.3 table
    // ("the 0th row is the visual ..., the 0th column is the visual ..."): T/B = top/bottom, L/R = left/right.
    [Theory]
    [InlineData(1, "TL", "TR")]
    [InlineData(2, "TR", "TL")]
    [InlineData(3, "BR", "BL")]
    [InlineData(4, "BL", "BR")]
    [InlineData(5, "TL", "BL")]
    [InlineData(6, "TR", "BR")]
    [InlineData(7, "BR", "TR")]
    [InlineData(8, "BL", "TL")]
    public void Exif_orientation_moves_the_stored_corners_where_the_standard_says(int orientation, string red, string green)
    {
        const int width = 240, height = 160;   // not square: 5..8 must swap the sides
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = (x < width / 2, y < height / 2) switch
                {
                    (true, true) => (255, 0, 0),
                    (false, true) => (0, 255, 0),
                    _ => (0, 0, 255),
                };
                int i = (y * width + x) * 3;
                (pixels[i], pixels[i + 1], pixels[i + 2]) = ((byte)r, (byte)g, (byte)b);
            }
        var jpeg = ExifJpeg.WithOrientation(ImageEncoder.EncodeJpeg(new RgbImage(width, height, pixels), 100, subsampleChroma: false), orientation);

        var image = Decoder.Decode(jpeg);

        Assert.Equal(orientation >= 5 ? (height, width) : (width, height), (image.Width, image.Height));
        Assert.Equal("red", ColourAt(image, red));
        Assert.Equal("green", ColourAt(image, green));
    }

    static string ColourAt(RgbImage image, string corner)
    {
        int x = corner[1] == 'L' ? image.Width / 4 : image.Width * 3 / 4;
        int y = corner[0] == 'T' ? image.Height / 4 : image.Height * 3 / 4;
        int i = (y * image.Width + x) * 3;
        var (r, g, b) = (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
        return r > 200 && g < 50 && b < 50 ? "red" : g > 200 && r < 50 && b < 50 ? "green" : b > 200 && r < 50 && g < 50 ? "blue" : $"({r},{g},{b})";
    }

    [Fact]
    public void Rotated_phone_photo_decodes_to_the_same_pixels_as_the_upright_one()
    {
        // The real case: a 3880x5184 phone photo, stored sideways with orientation 6.
        var upright = Decoder.Decode(TestPhotos.PhonePhoto, 1000);
        var twin = ExifJpeg.Twin(upright, 6);
        var header = Decoder.ReadHeader(twin);
        Assert.Equal((upright.Height, upright.Width, 6), (header.Width, header.Height, header.ExifOrientation));
        var decoded = Decoder.Decode(twin);
        Assert.True(Orientations.MeanAbsoluteDifference(upright, decoded) < 2.0);
    }

    [Fact]
    public void Camera_exif_in_big_endian_is_read()
    {
        // 001_A.jpg carries a big-endian ("MM") Exif block with orientation 1.
        var header = Decoder.ReadHeader(TestPhotos.LargestPhoto);
        Assert.Equal((4912, 7360, 1), (header.Width, header.Height, header.ExifOrientation));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(0xFFFF)]
    public void Out_of_range_orientation_is_ignored(int value)
    {
        var jpeg = ExifJpeg.WithOrientation(TestPhotos.Lfw, value);
        Assert.Equal(1, Decoder.ReadHeader(jpeg).ExifOrientation);
        Assert.Equal(Decoder.Decode(TestPhotos.Lfw).Pixels, Decoder.Decode(jpeg).Pixels);
    }

    [Fact]
    public void Only_the_first_exif_block_counts()
    {
        var jpeg = ExifJpeg.WithOrientation(ExifJpeg.WithOrientation(TestPhotos.Lfw, 3), 6);   // 6 ends up first
        Assert.Equal(6, Decoder.ReadHeader(jpeg).ExifOrientation);
    }

    [Fact]
    public void Malformed_exif_does_not_cost_the_photo()
    {
        var jpeg = ExifJpeg.WithOrientation(TestPhotos.Lfw, 6);
        // Point IFD0 far past the block (bytes 4..7 of the TIFF header, after FFE1, length and "Exif\0\0").
        var broken = (byte[])jpeg.Clone();
        broken[2 + 4 + 6 + 4] = 0xF0;
        Assert.Equal(1, Decoder.ReadHeader(broken).ExifOrientation);
        Assert.Equal(250, Decoder.Decode(broken).Width);
    }

    [Fact]
    public void Exif_orientation_stored_as_long_is_accepted()
    {
        // A few tools write the tag as LONG (type 4) rather than SHORT.
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(8, ImageHeaderReader.ExifOrientation(tiff));
        tiff[12] = 7;   // an unexpected type
        Assert.Equal(1, ImageHeaderReader.ExifOrientation(tiff));
    }
}
