using System.CommandLine;
using System.Globalization;
using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>`visage compare A B`: are these two photos the same person?</summary>
public static class CompareCommand
{
    public sealed record CompareOutput(string ImageA, string ImageB, double Similarity, double Threshold, bool Match,
        string Verdict);

    public static Command Create(EngineSource engines)
    {
        var a = new Argument<string>("a") { Description = "First photo" };
        var b = new Argument<string>("b") { Description = "Second photo" };
        var threshold = new Option<double?>("--threshold") { Description = "Cosine similarity at or above which the photos match (default: the engine's 1:1 threshold)" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("compare", "Compare the main face of two photos") { a, b, threshold, json };
        cmd.SetAction(parse => CommandRunner.Run(parse, ctx =>
        {
            var (pathA, pathB) = (parse.GetValue(a)!, parse.GetValue(b)!);
            var (bytesA, bytesB) = (CommandRunner.ReadInput(pathA), CommandRunner.ReadInput(pathB));
            var t = parse.GetValue(threshold) ?? EngineDefaults.MatchThreshold;
            if (t is < -1 or > 1) throw new UsageException("--threshold must be a cosine similarity in [-1, 1]");
            using var lease = engines.Acquire();
            var options = new AnalyzeOptions(Liveness: false);
            var faceA = SubjectOf(lease.Engine.Analyze(bytesA, options), pathA);
            var faceB = SubjectOf(lease.Engine.Analyze(bytesB, options), pathB);
            var similarity = Math.Round(Similarity.Cosine(faceA.Embedding, faceB.Embedding), 4);
            var match = similarity >= t;
            var result = new CompareOutput(pathA, pathB, similarity, t, match, match ? "same person" : "different people");
            if (parse.GetValue(json)) ctx.WriteJson(result);
            else ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"similarity {result.Similarity:0.0000}  threshold {t:0.000}  →  {result.Verdict}"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    static DetectedFace SubjectOf(FaceAnalysis analysis, string path) =>
        analysis.Subject ?? throw new UsageException($"no face found in {path}");
}
