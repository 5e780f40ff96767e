using static System.FormattableString;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Visage.Cli.Evaluation;
using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>`visage eval DIR`: detection, 1:1 verification, open-set 1:N and liveness accuracy on a labelled dataset.</summary>
public static class EvalCommand
{
    public static Command Create(EngineSource engines)
    {
        var dir = new Argument<string?>("dir") { Description = "Dataset: DIR/<identity>/*.jpg|png", Arity = ArgumentArity.ZeroOrOne };
        var pairs = new Option<string?>("--pairs") { Description = "LFW pairs.txt or a TSV 'image1 image2 same' (default: DIR/pairs.txt or DIR/pairs_dev_generated.tsv)" };
        var liveness = new Option<string?>("--liveness") { Description = "Liveness dataset with real/ and spoof/ folders" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var rocOut = new Option<string?>("--roc-out") { Description = "Write the verification ROC curve as SVG" };
        var workers = new Option<int>("--workers") { Description = "Parallel analyses", DefaultValueFactory = _ => 2 };
        var cmd = new Command("eval", "Measure accuracy and throughput on a labelled dataset")
        {
            dir, pairs, liveness, json, rocOut, workers,
        };
        cmd.SetAction(parse => CommandRunner.Run(parse, ctx =>
        {
            var request = new EvalRequest(parse.GetValue(dir), parse.GetValue(pairs), parse.GetValue(liveness),
                parse.GetValue(rocOut), parse.GetValue(workers));
            var report = Run(engines, request, ctx.ErrorConsole);
            if (parse.GetValue(json)) ctx.WriteJson(report);
            else PrintTable(ctx.OutConsole, report);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    public sealed record EvalRequest(string? Dir, string? Pairs, string? Liveness, string? RocOut, int Workers);

    public static EvalReport Run(EngineSource engines, EvalRequest request, IAnsiConsole progress)
    {
        if (request.Dir is null && request.Liveness is null)
            throw new UsageException("give a dataset folder, --liveness DIR, or both");
        if (request.Workers < 1) throw new UsageException("--workers must be at least 1");
        if (request.Pairs is not null && request.Dir is null) throw new UsageException("--pairs needs the dataset folder");

        // Read every list before loading the models, so a typo fails in milliseconds.
        var dataset = request.Dir is null ? null : IdentityDataset.Load(request.Dir);
        var pairsPath = request.Pairs ?? (dataset is null ? null : PairsFile.FindDefault(dataset.Root));
        var pairList = pairsPath is null ? null : PairsFile.Read(pairsPath);
        if (dataset is not null && pairList is not null) CheckPairsResolve(dataset, pairList, pairsPath!);
        var livenessSet = request.Liveness is null ? null : LoadLiveness(request.Liveness);

        var report = new EvalReport { Workers = request.Workers };
        using var lease = engines.Acquire();
        TimeSpan elapsed = TimeSpan.Zero, cpu = TimeSpan.Zero;
        if (dataset is not null)
        {
            var (outcomes, time, cpuTime) = BatchAnalyzer.Run(lease.Engine, dataset.Images.Select(i => i.FullPath).ToArray(),
                AnalyzeOptions.Default, request.Workers, progress, "faces");
            elapsed += time;
            cpu += cpuTime;
            report.ImagesAnalyzed += outcomes.Length;
            report.Dataset = dataset.Root;
            report.Images = dataset.Images.Count;
            report.Identities = dataset.ByIdentity.Count;
            EvalScoring.Detection(report, outcomes);
            var subjects = new Dictionary<string, DetectedFace?>(StringComparer.Ordinal);
            for (var i = 0; i < outcomes.Length; i++) subjects[dataset.Images[i].RelativePath] = outcomes[i].Subject;

            if (pairList is not null)
            {
                report.PairsFile = pairsPath;
                var scores = EvalScoring.Verification(report, pairList, subjects);
                if (scores is not null && request.RocOut is not null) WriteRoc(request.RocOut, scores, report);
            }
            else report.Notes.Add("no pairs file: verification skipped");
            EvalScoring.Identification(report, dataset, subjects);
        }
        if (livenessSet is not null)
        {
            var (outcomes, time, cpuTime) = BatchAnalyzer.Run(lease.Engine, livenessSet.Select(s => s.Path).ToArray(),
                AnalyzeOptions.Default, request.Workers, progress, "liveness");
            elapsed += time;
            cpu += cpuTime;
            report.ImagesAnalyzed += outcomes.Length;
            report.LivenessDataset = Path.GetFullPath(request.Liveness!);
            EvalScoring.Liveness(report, livenessSet.Select((s, i) => (s.IsReal, outcomes[i])).ToArray());
        }
        report.AnalysisSeconds = Math.Round(elapsed.TotalSeconds, 3);
        report.ImagesPerSecond = Math.Round(report.ImagesAnalyzed / elapsed.TotalSeconds, 2);
        report.CpuMsPerImage = Math.Round(cpu.TotalMilliseconds / report.ImagesAnalyzed, 1);
        return report;
    }

    static void CheckPairsResolve(IdentityDataset dataset, IReadOnlyList<LabeledPair> pairs, string pairsPath)
    {
        var known = dataset.Images.Select(i => i.RelativePath).ToHashSet(StringComparer.Ordinal);
        var missing = pairs.SelectMany(p => new[] { p.Image1, p.Image2 }).Where(p => !known.Contains(p)).Distinct().ToList();
        if (missing.Count > 0)
            throw new DatasetException($"{pairsPath}: {missing.Count} image(s) not in {dataset.Root}, e.g. {missing[0]}");
    }

    static List<(string Path, bool IsReal)> LoadLiveness(string dir)
    {
        var set = IdentityDataset.Load(dir);
        if (!set.ByIdentity.TryGetValue("real", out var real) || !set.ByIdentity.TryGetValue("spoof", out var spoof))
            throw new DatasetException($"{dir}: a liveness dataset needs real/ and spoof/ folders with images");
        return [.. real.Select(i => (i.FullPath, true)), .. spoof.Select(i => (i.FullPath, false))];
    }

    static void WriteRoc(string path, BinaryScores scores, EvalReport report)
    {
        var t = EngineDefaults.MatchThreshold;
        var point = scores.At(t);
        var svg = RocSvg.Render(scores.Roc(), scores.NegativeCount, point,
            Invariant($"engine threshold {t:0.00}: TAR {point.TrueAcceptRate:0.000}, FAR {point.FalseAcceptRate:0.0000}"),
            "Visage verification ROC",
            Invariant($"{Path.GetFileName(report.PairsFile)}: {scores.PositiveCount} same / {scores.NegativeCount} different pairs, AUC {report.RocAuc:0.0000}, accuracy {report.VerificationAccuracy:P2}"));
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, svg);
        report.RocSvg = full;
    }


    static void PrintTable(IAnsiConsole console, EvalReport r)
    {
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("about");
        void Row(string name, double? value, string format, string about = "")
        {
            if (value is { } v) table.AddRow(Markup.Escape(name), v.ToString(format, CultureInfo.InvariantCulture), Markup.Escape(about));
        }
        if (r.Dataset is not null)
        {
            table.AddRow("[bold]detection[/]", "", Markup.Escape(r.Dataset));
            Row("detection rate", r.DetectionRate, "P2", $"{r.Images - r.ImagesWithoutFace}/{r.Images} images have a face");
        }
        if (r.RocAuc is not null)
        {
            table.AddRow("[bold]verification[/]", "", Markup.Escape($"{r.SamePairs} same + {r.DifferentPairs} different pairs, {r.PairsProtocol}"));
            Row("accuracy", r.VerificationAccuracy, "P2", $"± {r.VerificationAccuracyStd:P2} (std over folds), mean threshold {r.VerificationThreshold:0.###}");
            Row("ROC AUC", r.RocAuc, "0.0000");
            Row("TAR @ FAR 1e-2", r.TarAtFar1e2, "P2", $"threshold {r.ThresholdAtFar1e2:0.####}");
            Row("TAR @ FAR 1e-3", r.TarAtFar1e3, "P2", $"threshold {r.ThresholdAtFar1e3:0.####}");
            Row("TAR @ engine threshold", r.TarAtMatchThreshold, "P2", $"threshold {r.MatchThreshold:0.###}, FAR {r.FarAtMatchThreshold:P2}");
        }
        if (r.Rank1 is not null)
        {
            table.AddRow("[bold]identification[/]", "", Markup.Escape($"gallery {r.GallerySize}, {r.MateProbes} mate + {r.NonMateProbes} non-mate probes"));
            Row("rank-1", r.Rank1, "P2");
            Row("hit rate @ FPIR 1e-2", r.HitRateAtFpir1e2, "P2", $"threshold {r.ThresholdAtFpir1e2:0.####}, actual FPIR {r.ActualFpir:P2}");
        }
        if (r.LivenessDataset is not null)
        {
            table.AddRow("[bold]liveness[/]", "", Markup.Escape($"{r.LivenessReal} real + {r.LivenessSpoof} spoof decided, " +
                $"{r.LivenessUncertainReal + r.LivenessUncertainSpoof} uncertain, {r.LivenessNoFace} without face"));
            Row("APCER", r.Apcer, "P2", $"spoofs accepted at threshold {r.LivenessThreshold:0.###}");
            Row("BPCER", r.Bpcer, "P2", "real faces rejected");
            Row("EER", r.Eer, "P2", $"at threshold {r.EerThreshold:0.####}");
        }
        table.AddRow("[bold]speed[/]", "", "");
        Row("images/s", r.ImagesPerSecond, "0.0", $"{r.ImagesAnalyzed} images in {r.AnalysisSeconds:0.0} s, {r.Workers} workers, {r.CpuMsPerImage:0} ms CPU per image");
        console.Write(table);
        foreach (var note in r.Notes) console.MarkupLine("[grey]note:[/] " + Markup.Escape(note));
        if (r.RocSvg is not null) console.MarkupLine("ROC curve: " + Markup.Escape(r.RocSvg));
    }
}
