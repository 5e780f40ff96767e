using System.Diagnostics;
using Visage.Engine.Imaging;
using Visage.Testing.Images;
using Xunit;

namespace Visage.Engine.Tests.Imaging;

public class JpegVariantTests
{
    static readonly NativeImageDecoder Decoder = new();
    static readonly RgbImage Face = Decoder.Decode(TestPhotos.Lfw);
    static readonly byte[] Progressive = TurboJpeg.EncodeRgb(Face.Pixels, Face.Width, Face.Height, 92, subsampleChroma: true, progressive: true);

    [Fact]
    public void Progressive_jpeg_decodes_like_baseline()
    {
        Assert.Equal(0xC2, Progressive[IndexOfSof(Progressive)]);
        var baseline = Decoder.Decode(ImageEncoder.EncodeJpeg(Face, 92));
        Assert.True(Orientations.MeanAbsoluteDifference(baseline, Decoder.Decode(Progressive)) < 0.5);
    }

    [Fact]
    public void Truncated_progressive_jpeg_is_Truncated()
    {
        foreach (double fraction in new[] { 0.3, 0.6, 0.95 })
        {
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(HostileImages.Truncated(Progressive, (int)(Progressive.Length * fraction))));
            Assert.True(e.Kind == ImageErrorKind.Truncated, $"cut at {fraction:P0}: {e.Kind} {e.Message}");
        }
    }

    [Fact]
    public void Progressive_jpeg_with_thousands_of_scans_is_refused_quickly()
    {
        // A known CPU bomb: the last scan repeated over and over. TurboJPEG stops at 500 scans when asked to.
        int lastScan = LastIndexOf(Progressive, 0xDA) - 1, end = Progressive.Length - 2;
        var scan = Progressive.AsSpan(lastScan, end - lastScan).ToArray();
        var bomb = new List<byte>(Progressive.AsSpan(0, end).ToArray());
        for (int i = 0; i < 3000; i++) bomb.AddRange(scan);
        bomb.AddRange([0xFF, 0xD9]);

        var started = Stopwatch.GetTimestamp();
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(bomb.ToArray()));
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(ImageErrorKind.Corrupt, e.Kind);
        Assert.Contains("500 scans", e.Message);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void Bytes_after_the_end_marker_are_ignored()
    {
        // Some phones append data after EOI (depth maps, previews).
        var trailing = new byte[5000];
        new Random(3).NextBytes(trailing);
        byte[] jpeg = [.. TestPhotos.Lfw, .. trailing];
        Assert.Equal(Face.Pixels, Decoder.Decode(jpeg).Pixels);
    }

    [Fact]
    public void Stray_bytes_between_segments_are_tolerated()
    {
        // libjpeg warns "extraneous bytes before marker" and recovers exactly; cameras and editors produce this.
        var jpeg = TestPhotos.Lfw;
        int sos = LastIndexOf(jpeg, 0xDA) - 1;
        byte[] padded = [.. jpeg.AsSpan(0, sos), 0x00, 0x11, 0x22, .. jpeg.AsSpan(sos)];
        Assert.Equal(Face.Pixels, Decoder.Decode(padded).Pixels);
    }

    [Fact]
    public void Stray_bytes_after_the_last_scan_are_ignored()
    {
        // TurboJPEG stops once every row is decoded and never reads up to EOI.
        var jpeg = TestPhotos.Lfw;
        byte[] padded = [.. jpeg.AsSpan(0, jpeg.Length - 2), 0x00, 0x11, 0x22, 0xFF, 0xD9];
        Assert.Equal(Face.Pixels, Decoder.Decode(padded).Pixels);
    }

    [Fact]
    public void Cmyk_jpeg_decodes_to_its_rgb_colours()
    {
        // Adobe's inverted CMYK: 255 means no ink. With no black ink (K byte 255) C, M, Y carry R, G, B as they are;
        // with K at 128 every colour must come out at half brightness.
        var noBlack = new byte[Face.Width * Face.Height * 4];
        var halfBlack = new byte[noBlack.Length];
        for (int p = 0, q = 0; p < Face.Pixels.Length; p += 3, q += 4)
        {
            for (int c = 0; c < 3; c++) noBlack[q + c] = halfBlack[q + c] = Face.Pixels[p + c];
            noBlack[q + 3] = 255;
            halfBlack[q + 3] = 128;
        }
        var plain = Decoder.Decode(TurboJpeg.EncodeCmyk(noBlack, Face.Width, Face.Height, 95));
        var darker = Decoder.Decode(TurboJpeg.EncodeCmyk(halfBlack, Face.Width, Face.Height, 95));

        Assert.True(Orientations.MeanAbsoluteDifference(Face, plain) < 2.0);
        var halved = new RgbImage(Face.Width, Face.Height, Face.Pixels.Select(v => (byte)((v * 128 + 127) / 255)).ToArray());
        Assert.True(Orientations.MeanAbsoluteDifference(halved, darker) < 2.0);
        Assert.True(Orientations.MeanAbsoluteDifference(Face, darker) > 20);
    }

    [Fact]
    public void Cmyk_encoding_does_not_disturb_the_next_rgb_encode()
    {
        var expected = ImageEncoder.EncodeJpeg(Face, 90);
        TurboJpeg.EncodeCmyk(new byte[Face.Width * Face.Height * 4], Face.Width, Face.Height, 90);
        TurboJpeg.EncodeRgb(Face.Pixels, Face.Width, Face.Height, 90, subsampleChroma: true, progressive: true);
        Assert.Equal(expected, ImageEncoder.EncodeJpeg(Face, 90));
    }

    [Fact]
    public void Jpeg_missing_only_its_end_marker_decodes_in_full()
    {
        foreach (var jpeg in new[] { TestPhotos.Lfw, Progressive })
        {
            var complete = Decoder.Decode(jpeg).Pixels;
            Assert.Equal(complete, Decoder.Decode(jpeg.AsSpan(0, jpeg.Length - 2)).Pixels);
        }
    }

    [Fact]
    public void Jpeg_cut_a_few_bytes_before_its_end_marker_is_still_Truncated()
    {
        foreach (int cut in new[] { 3, 4, 8, 64 })
        {
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(TestPhotos.Lfw.AsSpan(0, TestPhotos.Lfw.Length - cut)));
            Assert.True(e.Kind == ImageErrorKind.Truncated, $"cut {cut}: {e.Kind} {e.Message}");
        }
    }

    [Fact]
    public void Greyscale_jpeg_decodes_to_equal_channels()
    {
        var grey = Decoder.Decode(TestPhotos.GreyPng);
        var jpeg = ImageEncoder.EncodeJpeg(grey, 90);
        var image = Decoder.Decode(jpeg);
        for (int i = 0; i < image.Pixels.Length; i += 3)
            Assert.True(Math.Abs(image.Pixels[i] - image.Pixels[i + 1]) <= 2 && Math.Abs(image.Pixels[i + 1] - image.Pixels[i + 2]) <= 2);
    }

    static int IndexOfSof(byte[] jpeg)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2) return i + 1;
        throw new InvalidOperationException("no SOF");
    }

    static int LastIndexOf(byte[] jpeg, byte marker)
    {
        for (int i = jpeg.Length - 2; i >= 0; i--)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i + 1;
        throw new InvalidOperationException($"no marker {marker:X2}");
    }
}
