using System.Text.Json;
using Visage.Engine;
using Visage.Testing;
using Xunit;

namespace Visage.Cli.Tests;

[Collection("engine")]
public class AnalyzeCommandTests(CliFixture cli)
{
    static readonly string Clooney1 = TestData.Path_("verify", "George_Clooney", "George_Clooney_0001.jpg");

    [Fact]
    public async Task Analyze_prints_snake_case_json_for_the_face_without_embedding_by_default()
    {
        var r = await cli.Run("analyze", Clooney1);
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Output);
        var root = doc.RootElement;
        Assert.Equal(250, root.GetProperty("image_size").GetProperty("width").GetInt32());
        Assert.Equal(0, root.GetProperty("subject_index").GetInt32());
        var face = root.GetProperty("faces")[0];
        Assert.True(face.GetProperty("is_subject").GetBoolean());
        var box = face.GetProperty("bounding_box");
        Assert.InRange(box.GetProperty("width").GetInt32(), 40, 250);
        Assert.InRange(face.GetProperty("confidence").GetDouble(), 0.65, 1.0);
        Assert.Equal(5, face.GetProperty("landmarks").GetArrayLength());
        var quality = face.GetProperty("quality");
        foreach (var key in new[] { "score", "reasons", "sharpness", "brightness", "pose", "eyes_open" })
            Assert.True(quality.TryGetProperty(key, out _), $"quality.{key} missing");
        Assert.False(face.TryGetProperty("embedding", out _));
        Assert.False(face.TryGetProperty("crop_file", out _));
        var liveness = face.GetProperty("liveness");
        Assert.Contains(liveness.GetProperty("verdict").GetString(), new[] { "live", "spoof", "uncertain" });
        var timings = root.GetProperty("timings_ms");
        Assert.True(timings.GetProperty("total").GetDouble() >= timings.GetProperty("embed").GetDouble());
        Assert.True(timings.GetProperty("embed").GetDouble() > 0);
    }

    [Fact]
    public async Task Analyze_with_embedding_and_no_liveness_prints_the_unit_vector_and_no_liveness()
    {
        var r = await cli.Run("analyze", Clooney1, "--embedding", "--no-liveness");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Output);
        var face = doc.RootElement.GetProperty("faces")[0];
        Assert.Equal(JsonValueKind.Null, face.GetProperty("liveness").ValueKind);
        var embedding = face.GetProperty("embedding").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(cli.Engine.Info.EmbeddingSize, embedding.Length);
        Assert.Equal(1.0, Math.Sqrt(embedding.Sum(v => v * v)), 3);
    }

    [Fact]
    public async Task Analyze_writes_the_aligned_crop_as_a_112px_jpeg()
    {
        var dir = Directory.CreateTempSubdirectory("visage-crops-").FullName;
        try
        {
            var r = await cli.Run("analyze", Clooney1, "--crop-out", dir);
            Assert.Equal(0, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Output);
            var file = doc.RootElement.GetProperty("faces")[0].GetProperty("crop_file").GetString()!;
            var header = new Visage.Engine.Imaging.NativeImageDecoder(new EngineOptions { MinImageSide = 1 })
                .ReadHeader(File.ReadAllBytes(file));
            Assert.Equal((ImageFormat.Jpeg, 112, 112), (header.Format, header.Width, header.Height));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Analyze_of_a_photo_without_a_face_prints_an_empty_face_list()
    {
        var r = await cli.Run("analyze", TestData.Path_("quality", "noface", "faceapi_white.png"));
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Output);
        Assert.Equal(-1, doc.RootElement.GetProperty("subject_index").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("faces").GetArrayLength());
    }

    [Theory]
    [InlineData("tiny", "at least")]
    [InlineData("garbage", "not a JPEG, PNG or WebP")]
    [InlineData("missing", "file not found")]
    public async Task Analyze_rejects_bad_input_with_one_line_and_exit_code_2(string kind, string message)
    {
        var garbage = Path.GetTempFileName();
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        var path = kind switch
        {
            "tiny" => TestData.Path_("quality", "tiny", "GEN_Jon_Voight_0001_24px.jpg"),
            "garbage" => garbage,
            _ => "/nonexistent/photo.jpg",
        };
        try
        {
            var r = await cli.Run("analyze", path);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal("", r.Output);
            Assert.Contains(message, r.Error);
            Assert.Single(r.Error.TrimEnd().Split('\n'));
            Assert.DoesNotContain("Exception", r.Error); // no stack trace, no exception type
            Assert.DoesNotContain("   at ", r.Error);
        }
        finally { File.Delete(garbage); }
    }

    [Fact]
    public async Task Analyze_without_models_prints_the_setup_message_and_exits_3()
    {
        var empty = Directory.CreateTempSubdirectory("visage-nomodels-").FullName;
        try
        {
            var engines = EngineSource.FromOptions(new EngineOptions { ModelsDirectory = empty });
            var r = await CliFixture.Run(engines, "analyze", Clooney1);
            Assert.Equal(3, r.ExitCode);
            Assert.Contains("visage setup", r.Error);
            Assert.Single(r.Error.TrimEnd().Split('\n'));
        }
        finally { Directory.Delete(empty); }
    }
}

[Collection("engine")]
public class CompareCommandTests(CliFixture cli)
{
    [Fact]
    public async Task Compare_of_two_photos_of_one_person_matches_at_the_engine_threshold()
    {
        var r = await cli.Run("compare", "--json",
            TestData.Path_("verify", "George_Clooney", "George_Clooney_0001.jpg"),
            TestData.Path_("verify", "George_Clooney", "George_Clooney_0002.jpg"));
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("match").GetBoolean());
        Assert.Equal(Math.Round((double)Thresholds.Verify, 4), root.GetProperty("threshold").GetDouble());
        Assert.True(root.GetProperty("similarity").GetDouble() >= root.GetProperty("threshold").GetDouble());
    }

    [Fact]
    public async Task Compare_of_two_people_does_not_match()
    {
        var r = await cli.Run("compare",
            TestData.Path_("verify", "George_Clooney", "George_Clooney_0001.jpg"),
            TestData.Path_("verify", "Owen_Wilson", "Owen_Wilson_0001.jpg"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("different people", r.Output);
    }

    [Fact]
    public async Task Compare_threshold_option_changes_the_verdict_not_the_similarity()
    {
        string a = TestData.Path_("verify", "George_Clooney", "George_Clooney_0001.jpg"),
            b = TestData.Path_("verify", "George_Clooney", "George_Clooney_0002.jpg");
        using var strict = JsonDocument.Parse((await cli.Run("compare", a, b, "--json", "--threshold", "0.99")).Output);
        using var loose = JsonDocument.Parse((await cli.Run("compare", a, b, "--json")).Output);
        Assert.False(strict.RootElement.GetProperty("match").GetBoolean());
        Assert.Equal(loose.RootElement.GetProperty("similarity").GetDouble(), strict.RootElement.GetProperty("similarity").GetDouble());
    }

    [Fact]
    public async Task Compare_with_a_faceless_photo_is_a_user_error()
    {
        var r = await cli.Run("compare", TestData.Path_("verify", "George_Clooney", "George_Clooney_0001.jpg"),
            TestData.Path_("quality", "noface", "faceapi_white.png"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no face found", r.Error);
    }
}
