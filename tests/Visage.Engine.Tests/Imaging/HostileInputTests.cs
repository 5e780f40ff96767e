using System.Diagnostics;
using Visage.Engine.Imaging;
using Visage.Testing.Images;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Engine.Tests.Imaging;

public class HostileInputTests(ITestOutputHelper output)
{
    static readonly NativeImageDecoder Decoder = new();

    public static TheoryData<string> Formats => new() { "jpeg", "jpeg-progressive", "png-rgb", "png-grey", "webp-lossy", "webp-lossless" };

    static byte[] Sample(string format)
    {
        var lfw = Decoder.Decode(TestPhotos.Lfw);
        return format switch
        {
            "jpeg" => TestPhotos.Lfw,
            "jpeg-progressive" => TurboJpeg.EncodeRgb(lfw.Pixels, lfw.Width, lfw.Height, 90, subsampleChroma: true, progressive: true),
            "png-rgb" => TestPhotos.RgbPng,
            "png-grey" => TestPhotos.GreyPng,
            "webp-lossy" => ImageEncoder.EncodeWebp(lfw, 80),
            _ => ImageEncoder.EncodeWebp(lfw, 100),
        };
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Bit_flipped_files_decode_or_fail_with_an_ImageException(string format)
    {
        var original = Sample(format);
        var random = new Random(format.Length * 7919);
        var outcomes = new Dictionary<string, int>();
        var slowest = TimeSpan.Zero;
        for (int i = 0; i < 300; i++)
        {
            // Half the mutations hit the first 256 bytes, where the header parsers work; half land anywhere.
            var mutated = i % 2 == 0
                ? HostileImages.BitFlipped(original, random, 1 + random.Next(8))
                : FlipInPrefix(original, random, 256);
            var started = Stopwatch.GetTimestamp();
            string outcome;
            try
            {
                var image = Decoder.Decode(mutated);
                Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
                outcome = "decoded";
            }
            catch (ImageException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                outcome = e.Kind.ToString();
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed > slowest) slowest = elapsed;
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        output.WriteLine($"{format}: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}; slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.True(outcomes.Count > 1, "the mutations should not all have the same outcome");
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"one mutation took {slowest.TotalSeconds:F1} s");
    }

    static byte[] FlipInPrefix(byte[] data, Random random, int prefix)
    {
        var copy = (byte[])data.Clone();
        int flips = 1 + random.Next(3);
        for (int i = 0; i < flips; i++) copy[random.Next(Math.Min(prefix, copy.Length))] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    [Fact]
    public void Every_prefix_of_a_jpeg_header_is_Truncated()
    {
        var jpeg = TestPhotos.Lfw;
        int scanStart = IndexOfSos(jpeg);
        for (int length = 1; length <= scanStart; length++)
        {
            var e = Assert.Throws<ImageException>(() => Decoder.ReadHeader(jpeg.AsSpan(0, length)));
            Assert.True(e.Kind == ImageErrorKind.Truncated, $"prefix of {length} bytes: {e.Kind} {e.Message}");
        }
    }

    static int IndexOfSos(byte[] jpeg)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) return i + 1;
        throw new InvalidOperationException("no SOS");
    }

    [Fact]
    public void Random_data_after_a_jpeg_signature_fails_with_an_ImageException()
    {
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var data = new byte[random.Next(4, 3000)];
            random.NextBytes(data);
            data[0] = 0xFF; data[1] = 0xD8; data[2] = 0xFF;
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(data));
            Assert.True(e.Kind is ImageErrorKind.Corrupt or ImageErrorKind.Truncated or ImageErrorKind.Unsupported
                or ImageErrorKind.TooSmall or ImageErrorKind.TooLargeDimensions, $"{e.Kind}: {e.Message}");
        }
    }

    [Fact]
    public void Png_whose_first_chunk_is_not_IHDR_is_Corrupt()
    {
        var png = (byte[])TestPhotos.RgbPng.Clone();
        "IDAT"u8.CopyTo(png.AsSpan(12));
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(png));
        Assert.Equal(ImageErrorKind.Corrupt, e.Kind);
    }

    [Fact]
    public void Png_with_a_damaged_data_chunk_is_Corrupt()
    {
        var png = (byte[])TestPhotos.RgbPng.Clone();
        png[png.Length / 2] ^= 0xFF;   // inside an IDAT: its CRC no longer matches
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(png));
        Assert.Equal(ImageErrorKind.Corrupt, e.Kind);
        Assert.StartsWith("PNG data is corrupt", e.Message);
    }

    [Fact]
    public void Webp_declaring_60000x60000_is_refused_from_the_header()
    {
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(HostileImages.WebpDeclaring(60000, 60000)));
        Assert.Equal(ImageErrorKind.TooLargeDimensions, e.Kind);
        Assert.Equal("image is 60000x60000 (3600 MP); the limit is 50 MP", e.Message);
    }

    [Fact]
    public void Animated_webp_is_Unsupported()
    {
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(HostileImages.WebpDeclaring(640, 480, animated: true)));
        Assert.Equal(ImageErrorKind.Unsupported, e.Kind);
    }

    [Fact]
    public void Webp_header_without_image_data_is_Truncated_or_Corrupt()
    {
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(HostileImages.WebpDeclaring(640, 480)));
        Assert.True(e.Kind is ImageErrorKind.Truncated or ImageErrorKind.Corrupt, e.Kind.ToString());
    }

    [Fact]
    public void Truncated_webp_is_Truncated()
    {
        var webp = ImageEncoder.EncodeWebp(Decoder.Decode(TestPhotos.Lfw), 90);
        foreach (double fraction in new[] { 0.1, 0.5, 0.9, 0.99 })
        {
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(HostileImages.Truncated(webp, (int)(webp.Length * fraction))));
            Assert.True(e.Kind == ImageErrorKind.Truncated, $"cut at {fraction:P0}: {e.Kind} {e.Message}");
        }
    }

    [Fact]
    public void Lossless_and_12_bit_jpeg_frames_are_Unsupported_not_Corrupt()
    {
        var jpeg = TestPhotos.Lfw;
        int sof = IndexOfMarker(jpeg, 0xC0);
        var lossless = (byte[])jpeg.Clone();
        lossless[sof] = 0xC3;
        Assert.Equal(ImageErrorKind.Unsupported, Assert.Throws<ImageException>(() => Decoder.Decode(lossless)).Kind);
        var twelveBit = (byte[])jpeg.Clone();
        twelveBit[sof + 3] = 12;   // precision byte after the marker and the length
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(twelveBit));
        Assert.Equal(ImageErrorKind.Unsupported, e.Kind);
        Assert.Contains("12-bit", e.Message);
    }

    static int IndexOfMarker(byte[] jpeg, byte marker)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i + 1;
        throw new InvalidOperationException($"no marker {marker:X2}");
    }

    [Fact]
    public void Jpeg_declaring_a_size_other_than_its_scan_fails_typed()
    {
        // 200x200 declared over 250x250 of scan data: small enough to pass the limits, so libjpeg sees it.
        var lying = HostileImages.JpegDeclaring(TestPhotos.Lfw, 200, 200);
        try
        {
            var image = Decoder.Decode(lying);
            Assert.Equal((200, 200), (image.Width, image.Height));
        }
        catch (ImageException e)
        {
            Assert.True(e.Kind is ImageErrorKind.Corrupt or ImageErrorKind.Truncated, e.Kind.ToString());
        }
    }
}
