using Xunit;
using Visage.Engine.Imaging;
using Visage.Testing;
using Visage.Testing.Images;

namespace Visage.Engine.Tests.Imaging;

public class DecoderTests
{
    static readonly NativeImageDecoder Decoder = new();
    // The set holds deliberately tiny images (24 px quality fixtures, liveness crops); decoding them is still a codec concern.
    static readonly NativeImageDecoder AnySize = new(new EngineOptions { MinImageSide = 1 });

    public static TheoryData<string> Photos => TestPhotos.AllAsTheory();

    [Theory]
    [MemberData(nameof(Photos))]
    public void Every_test_photo_decodes_to_the_size_its_header_declares(string relativePath)
    {
        var data = TestData.Read(relativePath);
        var header = AnySize.ReadHeader(data);
        var image = AnySize.Decode(data);

        var (width, height) = header.ExifOrientation >= 5 ? (header.Height, header.Width) : (header.Width, header.Height);
        Assert.Equal((width, height), (image.Width, image.Height));
        Assert.Equal(relativePath.EndsWith(".png", StringComparison.Ordinal) ? ImageFormat.Png : ImageFormat.Jpeg, header.Format);
    }

    [Fact]
    public void Default_limits_refuse_exactly_the_test_photos_under_100_px()
    {
        foreach (var path in TestPhotos.All())
        {
            var data = TestData.Read(path);
            var header = AnySize.ReadHeader(data);
            bool small = Math.Min(header.Width, header.Height) < 100;
            if (small)
                Assert.Equal(ImageErrorKind.TooSmall, Assert.Throws<ImageException>(() => Decoder.Decode(data)).Kind);
            else
                Assert.Equal(header.Width, Decoder.ReadHeader(data).Width);
        }
    }

    [Fact]
    public void Grey_png_decodes_to_equal_rgb_channels()
    {
        var image = Decoder.Decode(TestPhotos.GreyPng);
        var p = image.Pixels;
        for (int i = 0; i < p.Length; i += 3)
            Assert.True(p[i] == p[i + 1] && p[i] == p[i + 2], $"pixel {i / 3} is not grey");
        Assert.True(Distinct(p) > 50, "a real photo has many grey levels");
    }

    [Fact]
    public void Zero_bytes_is_Empty()
    {
        var e = Assert.Throws<ImageException>(() => Decoder.Decode([]));
        Assert.Equal(ImageErrorKind.Empty, e.Kind);
        Assert.Equal(ImageErrorKind.Empty, Assert.Throws<ImageException>(() => Decoder.ReadHeader([])).Kind);
    }

    [Fact]
    public void Random_bytes_are_Unsupported()
    {
        var random = new Random(1234);
        for (int i = 0; i < 200; i++)
        {
            var data = new byte[random.Next(1, 4096)];
            random.NextBytes(data);
            if (data[0] is 0xFF or 0x89 or (byte)'R') data[0] = 0x00;   // keep clear of the three signatures
            Assert.Equal(ImageErrorKind.Unsupported, Assert.Throws<ImageException>(() => Decoder.Decode(data)).Kind);
        }
    }

    [Theory]
    [InlineData("GIF89a")]
    [InlineData("BM")]
    [InlineData("RIFF\x10\0\0\0WAVEfmt ")]
    [InlineData("<svg xmlns=")]
    public void Other_formats_are_Unsupported(string start)
    {
        var data = new byte[512];
        System.Text.Encoding.Latin1.GetBytes(start).CopyTo(data, 0);
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(data));
        Assert.Equal(ImageErrorKind.Unsupported, e.Kind);
        Assert.Contains("not a JPEG, PNG or WebP", e.Message);
    }

    [Fact]
    public void A_signature_cut_short_is_Truncated_not_Unsupported()
    {
        foreach (var data in new byte[][] { [0xFF], [0xFF, 0xD8], [0x89, 0x50, 0x4E], "RIF"u8.ToArray(), "RIFF\0\0\0\0WE"u8.ToArray() })
            Assert.Equal(ImageErrorKind.Truncated, Assert.Throws<ImageException>(() => Decoder.Decode(data)).Kind);
    }

    [Fact]
    public void Truncated_jpeg_is_Truncated_at_every_cut_inside_the_scan()
    {
        var jpeg = TestPhotos.Lfw;
        foreach (double fraction in new[] { 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99 })
        {
            var cut = HostileImages.Truncated(jpeg, (int)(jpeg.Length * fraction));
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(cut));
            Assert.True(e.Kind == ImageErrorKind.Truncated, $"cut at {fraction:P0}: {e.Kind} {e.Message}");
        }
    }

    [Fact]
    public void Truncated_jpeg_headers_are_Truncated_or_Corrupt()
    {
        var jpeg = TestPhotos.Lfw;
        for (int length = 1; length < 700; length += 7)
        {
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(HostileImages.Truncated(jpeg, length)));
            Assert.True(e.Kind is ImageErrorKind.Truncated or ImageErrorKind.Corrupt, $"cut at {length}: {e.Kind}");
        }
    }

    [Fact]
    public void Truncated_png_is_Truncated_unless_only_the_trailer_is_missing()
    {
        var png = TestPhotos.RgbPng;
        var whole = Decoder.Decode(png);
        // The last 24 bytes are zlib's checksum, the last IDAT's CRC and IEND: libpng has every row without them.
        for (int length = 1; length < png.Length; length += length < 200 ? 3 : 997)
        {
            var cut = HostileImages.Truncated(png, length);
            if (length < png.Length - 24)
                Assert.Equal(ImageErrorKind.Truncated, Assert.Throws<ImageException>(() => Decoder.Decode(cut)).Kind);
        }
        foreach (int length in new[] { png.Length - 24, png.Length - 12, png.Length - 1 })
        {
            try { Assert.Equal(whole.Pixels, Decoder.Decode(HostileImages.Truncated(png, length)).Pixels); }
            catch (ImageException e) { Assert.Equal(ImageErrorKind.Truncated, e.Kind); }
        }
    }

    [Fact]
    public void Jpeg_declaring_60000x60000_is_refused_from_the_header_without_allocating_pixels()
    {
        var bomb = HostileImages.JpegDeclaring(TestPhotos.Lfw, 60000, 60000);
        Decoder.ReadHeader(TestPhotos.Lfw);   // warm up code paths so the measurement sees only this call

        long before = GC.GetAllocatedBytesForCurrentThread();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(bomb));
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ImageErrorKind.TooLargeDimensions, e.Kind);
        Assert.Equal("image is 60000x60000 (3600 MP); the limit is 50 MP", e.Message);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");   // 3600 MP of RGB would be 10.8 GB
        Assert.True(elapsed.TotalMilliseconds < 1000, $"took {elapsed.TotalMilliseconds} ms");   // generous: the allocation bound is the real guard
    }

    [Fact]
    public void Png_declaring_60000x60000_is_refused_from_the_header_without_allocating_pixels()
    {
        var bomb = HostileImages.PngDeclaring(TestPhotos.RgbPng, 60000, 60000);
        Decoder.ReadHeader(TestPhotos.RgbPng);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageException>(() => Decoder.Decode(bomb));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ImageErrorKind.TooLargeDimensions, e.Kind);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Image_of_90x90_is_TooSmall()
    {
        var face = Orientations.Crop(Decoder.Decode(TestPhotos.Lfw), 80, 80, 90, 90);
        foreach (var data in new[] { ImageEncoder.EncodeJpeg(face), ImageEncoder.EncodePng(face), ImageEncoder.EncodeWebp(face) })
        {
            var e = Assert.Throws<ImageException>(() => Decoder.Decode(data));
            Assert.Equal(ImageErrorKind.TooSmall, e.Kind);
            Assert.Equal("image is 90x90; both sides must be at least 100 px", e.Message);
        }
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)]
    [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void Exif_orientation_turns_a_real_photo_upright(int orientation)
    {
        // Not square, so a swapped width and height fails too; a face is near-symmetric, so mirrors need the background.
        var upright = Orientations.Crop(Decoder.Decode(TestPhotos.Lfw), 20, 0, 210, 250);
        foreach (bool bigEndian in new[] { false, true })
        {
            var twin = ExifJpeg.Twin(upright, orientation, bigEndian);
            Assert.Equal(orientation, Decoder.ReadHeader(twin).ExifOrientation);

            var decoded = Decoder.Decode(twin);

            Assert.Equal((210, 250), (decoded.Width, decoded.Height));
            double error = Orientations.MeanAbsoluteDifference(upright, decoded);
            Assert.True(error < 2.0, $"orientation {orientation}: mean difference {error:F2} from the upright photo");
            double mirrored = Orientations.MeanAbsoluteDifference(Orientations.Mirror(upright), decoded);
            Assert.True(mirrored > 10 * error, $"orientation {orientation}: mirror is as close ({mirrored:F2}) as upright ({error:F2})");
        }
    }

    static int Distinct(byte[] p)
    {
        var seen = new bool[256];
        int n = 0;
        foreach (var b in p) if (!seen[b]) { seen[b] = true; n++; }
        return n;
    }

    [Fact]
    public void Limits_come_from_the_engine_options()
    {
        var strict = new NativeImageDecoder(new EngineOptions { MaxImagePixels = 1_000_000, MinImageSide = 300 });
        var e = Assert.Throws<ImageException>(() => strict.Decode(TestPhotos.PhonePhoto));
        Assert.Equal(ImageErrorKind.TooLargeDimensions, e.Kind);
        Assert.Equal("image is 3880x5184 (20.1 MP); the limit is 1 MP", e.Message);
        Assert.Equal(ImageErrorKind.TooSmall, Assert.Throws<ImageException>(() => strict.Decode(TestPhotos.Lfw)).Kind);
        Assert.Equal(416, strict.Decode(TestData.Read("verify", "CompreFace_sample_personB", "007_B.jpg")).Width);
    }

    [Fact]
    public void Options_beyond_what_an_RgbImage_can_hold_are_refused_at_construction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeImageDecoder(new EngineOptions { MaxImagePixels = 1L << 31 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeImageDecoder(new EngineOptions { MinImageSide = 0 }));
    }

    [Fact]
    public void Largest_test_photo_of_36_MP_decodes_within_the_default_budget()
    {
        var image = Decoder.Decode(TestPhotos.LargestPhoto);
        Assert.Equal((4912, 7360), (image.Width, image.Height));
    }

    [Fact]
    public void Concurrent_decodes_give_the_same_pixels_as_sequential_ones()
    {
        var face = Decoder.Decode(TestPhotos.Lfw);
        byte[][] inputs =
        [
            TestPhotos.Lfw, TestPhotos.RgbPng, TestPhotos.GreyPng, ImageEncoder.EncodeWebp(face, 80),
            ExifJpeg.Twin(face, 6), ExifJpeg.Twin(face, 3),
        ];
        var expected = inputs.Select(i => Decoder.Decode(i).Pixels).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8 * 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int k = i % inputs.Length;
            if (!Decoder.Decode(inputs[k]).Pixels.AsSpan().SequenceEqual(expected[k])) failures.Add($"input {k}, run {i}");
            if (i % 5 == 0 && !ImageEncoder.EncodeJpeg(face, 90).AsSpan().SequenceEqual(ImageEncoder.EncodeJpeg(face, 90)))
                failures.Add($"encode, run {i}");
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void A_missing_native_library_is_an_EngineSetupException_naming_the_package()
    {
        var e = Assert.Throws<EngineSetupException>(() => NativeLibraries.Load("libvisage-absent.so.9", "libvisage-absent9"));
        Assert.Contains("libvisage-absent9", e.Message);
        Assert.Contains("scripts/setup.sh", e.Message);

        var old = Assert.Throws<EngineSetupException>(() => NativeLibraries.Load("libturbojpeg.so.0", "libturbojpeg0").Export("tjNoSuchFunction"));
        Assert.Contains("too old", old.Message);
    }
}
