using Xunit;
using Visage.Testing;

namespace Visage.Engine.Tests.Imaging;

/// <summary>The real photos the codec tests run on, from ../shared/testdata/faces.</summary>
static class TestPhotos
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(TestData.FacesDir, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => Path.GetRelativePath(TestData.FacesDir, f))
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> AllAsTheory() => new(All());

    public static byte[] Lfw => TestData.Read("verify", "George_Clooney", "George_Clooney_0001.jpg");
    /// <summary>3880x5184, a phone photo.</summary>
    public static byte[] PhonePhoto => TestData.Read("verify", "CompreFace_sample_personA", "002_A.jpg");
    /// <summary>4912x7360 (36 MP) with a big-endian Exif block, the largest file of the set.</summary>
    public static byte[] LargestPhoto => TestData.Read("verify", "CompreFace_sample_personA", "001_A.jpg");
    public static byte[] GreyPng => TestData.Read("verify", "BBT_amy", "amy1.png");
    public static byte[] RgbPng => TestData.Read("quality", "pose", "deca_examples_alfw2.png");
}
