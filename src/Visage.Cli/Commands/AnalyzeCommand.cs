using System.CommandLine;
using Visage.Engine;
using Visage.Engine.Imaging;

namespace Visage.Cli.Commands;

/// <summary>`visage analyze IMAGE`: everything the engine sees in one photo, as JSON.</summary>
public static class AnalyzeCommand
{
    public static Command Create(EngineSource engines)
    {
        var image = new Argument<string>("image") { Description = "JPEG, PNG or WebP file" };
        var noLiveness = new Option<bool>("--no-liveness") { Description = "Skip the liveness model" };
        var embedding = new Option<bool>("--embedding") { Description = "Include each face's embedding" };
        var cropOut = new Option<string?>("--crop-out") { Description = "Write each face's aligned 112x112 crop (JPEG) into this folder" };
        var cmd = new Command("analyze", "Detect faces and print boxes, landmarks, quality, liveness and timings as JSON")
        {
            image, noLiveness, embedding, cropOut,
        };
        cmd.SetAction(parse => CommandRunner.Run(parse, ctx =>
        {
            var path = parse.GetValue(image)!;
            var bytes = CommandRunner.ReadInput(path);
            var cropDir = parse.GetValue(cropOut);
            using var lease = engines.Acquire();
            var options = new AnalyzeOptions(Liveness: !parse.GetValue(noLiveness), AlignedCrop: cropDir is not null);
            var analysis = lease.Engine.Analyze(bytes, options);
            if (cropDir is not null) Directory.CreateDirectory(cropDir);

            var faces = new List<FaceOutput>(analysis.Faces.Count);
            for (var i = 0; i < analysis.Faces.Count; i++)
                faces.Add(FaceJson.Face(analysis, i, parse.GetValue(embedding), WriteCrop(cropDir, path, i, analysis.Faces[i])));
            ctx.WriteJson(new AnalyzeOutput(path, new ImageSize(analysis.ImageWidth, analysis.ImageHeight),
                analysis.SubjectIndex, faces, FaceJson.Timings(analysis.Timings)));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    static string? WriteCrop(string? dir, string imagePath, int index, DetectedFace face)
    {
        if (dir is null || face.AlignedCrop is null) return null;
        var file = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(imagePath)}_face{index}.jpg");
        File.WriteAllBytes(file, ImageEncoder.EncodeJpeg(new RgbImage(112, 112, face.AlignedCrop), 95));
        return file;
    }
}
