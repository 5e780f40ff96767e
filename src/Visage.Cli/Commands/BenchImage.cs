using Visage.Engine;
using Visage.Engine.Imaging;
using Visage.Engine.Pipeline;

namespace Visage.Cli.Commands;

/// <summary>The benchmark's default input: a landscape phone photo from the test set, centre-cropped to 4:3 and
/// resized to 640x480 — the size of a typical webcam frame sent to the service.</summary>
public static class BenchImage
{
    const int Width = 640, Height = 480;
    static readonly string[] Source = ["verify", "CompreFace_sample_personA", "003_A.jpg"];

    public static (string Label, byte[] Jpeg) Default640x480()
    {
        var path = FindTestPhoto() ?? throw new UsageException(
            $"test photo {string.Join('/', Source)} not found (set VISAGE_TESTDATA): pass --image FILE");
        // Decoding at reduced scale keeps the 33 MP source from inflating the peak memory the benchmark reports.
        var photo = new NativeImageDecoder().Decode(File.ReadAllBytes(path), maxSide: 2 * Width);
        var cropW = Math.Min(photo.Width, photo.Height * Width / Height);
        var cropH = cropW * Height / Width;
        var map = Affine.FromRect((photo.Width - cropW) / 2f, (photo.Height - cropH) / 2f, cropW, cropH, Width, Height);
        var pixels = new byte[Width * Height * 3];
        ImageSampler.ToRgbBytes(photo, map, Width, Height, pixels);
        return ($"{Path.GetFileName(path)} resized to {Width}x{Height}", ImageEncoder.EncodeJpeg(new RgbImage(Width, Height, pixels), 90));
    }

    /// <summary>$VISAGE_TESTDATA, else ../shared/testdata/faces beside the repository this binary was built in.</summary>
    static string? FindTestPhoto()
    {
        if (Environment.GetEnvironmentVariable("VISAGE_TESTDATA") is { Length: > 0 } dir)
            return Existing(Path.Combine([dir, .. Source]));
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Visage.slnx")))
                return Existing(Path.Combine([d.FullName, "..", "shared", "testdata", "faces", .. Source]));
        return null;
    }

    static string? Existing(string path) => File.Exists(path) ? Path.GetFullPath(path) : null;
}
