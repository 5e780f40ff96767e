using System.Diagnostics;
using Spectre.Console;
using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>The subject face of one image, or why there is none (<see cref="Error"/> is an unreadable image).</summary>
public sealed record ImageOutcome(string Path, DetectedFace? Subject, string? Error);

/// <summary>Analyses many files on N workers (file read included, as a service request would), with a progress bar on
/// stderr when it is a terminal.</summary>
public static class BatchAnalyzer
{
    public static (ImageOutcome[] Outcomes, TimeSpan Elapsed, TimeSpan Cpu) Run(IFaceEngine engine, IReadOnlyList<string> paths,
        AnalyzeOptions options, int workers, IAnsiConsole progressConsole, string label)
    {
        var outcomes = new ImageOutcome[paths.Count];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        if (progressConsole.Profile.Capabilities.Interactive)
            progressConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(label, maxValue: paths.Count);
                    AnalyzeAll(engine, paths, options, workers, outcomes, () => task.Increment(1));
                });
        else
        {
            progressConsole.WriteLine($"{label}: analysing {paths.Count} images on {workers} workers...");
            AnalyzeAll(engine, paths, options, workers, outcomes, static () => { });
        }
        return (outcomes, clock.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpuBefore);
    }

    static void AnalyzeAll(IFaceEngine engine, IReadOnlyList<string> paths, AnalyzeOptions options, int workers,
        ImageOutcome[] outcomes, Action done)
    {
        Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            outcomes[i] = AnalyzeOne(engine, paths[i], options);
            done();
        });
    }

    static ImageOutcome AnalyzeOne(IFaceEngine engine, string path, AnalyzeOptions options)
    {
        try
        {
            var analysis = engine.Analyze(File.ReadAllBytes(path), options);
            return new ImageOutcome(path, analysis.Subject, null);
        }
        catch (ImageException e)
        {
            return new ImageOutcome(path, null, $"{e.Kind}: {e.Message}");
        }
    }
}
